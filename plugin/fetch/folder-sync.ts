/**
 * The message loop of one open folder (docs/architecture.md#poll-cycle): UIDs above the cursor, in order, in batches
 * -> host ingest -> delivery row + cursor + the account's counter in one transaction (under the account lease) ->
 * post-fetch action. A crash anywhere re-ingests at most the message in flight, and the host dedupes it by
 * `dedupeKey`.
 */
import { isPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { FolderState, MailSession, MessageSummary } from '../ports/mail-fetcher';
import { SETTLED_DELIVERY_STATES, type Delivery, type MessageLocation } from '../ports/mail-ledger';
import { BatchSources } from './batch-sources';
import { applyPostFetchAction } from './post-fetch-action';
import {
  emptyCounts,
  MessageSettlement,
  throwIfAborted,
  type FolderSyncCounts,
  type MessageSettlementDeps,
} from './message-settlement';

export { emptyCounts, throwIfAborted, type FolderSyncCounts } from './message-settlement';

/** What the folder sync needs. */
export type FolderSyncDeps = MessageSettlementDeps;

/** One run of the loop. */
export interface FolderSyncRun {
  readonly account: MailAccount;
  readonly session: MailSession;
  readonly folder: FolderState;
  /** Aborted on timeout or shutdown; checked before every message. */
  readonly signal: AbortSignal;
  /** Counted into as the run goes, so a run that fails half-way still reports what it did. */
  readonly counts?: FolderSyncCounts;
  /** The account lease the run is under: a delivery is recorded only while it is held (else ERR_LEASE_LOST). */
  readonly leaseOwner?: string;
}

/** How the folder is read this time. */
type ScanMode =
  /** Everything above the cursor; each settled message advances the cursor. */
  | 'incremental'
  /** Unseen messages from UID 1 while no cursor of this UIDVALIDITY exists; the cursor is written once all are settled. */
  | 'unseen-scan';

/** Runs the message loop for one folder of one account. */
export class FolderSync {
  private readonly settlement: MessageSettlement;

  constructor(private readonly deps: FolderSyncDeps) {
    this.settlement = new MessageSettlement(deps);
  }

  /**
   * Fetches what is new in the open folder.
   * @returns the counts; session errors (connection lost, token expired) and aborts are thrown
   */
  async run(run: FolderSyncRun): Promise<FolderSyncCounts> {
    const counts = run.counts ?? emptyCounts();
    const plan = await this.plan(run);
    if (plan === null) return counts;
    await this.finishPostActions(run, counts);
    // Once a message stays pending (the host refused it), the cursor must not pass it; later messages are still
    // handled and recorded, and the cursor catches up over them once the pending one settles.
    let blocked = false;
    let highest = run.folder.uidNext - 1;
    // In batches of UIDs (a UID SEARCH, then one FETCH of sizes and flags per batch), so a large folder never
    // has to be listed at once; messages arriving meanwhile join a later batch. Sources are fetched ahead in
    // byte-bounded groups (BatchSources); everything else stays one message at a time, in UID order.
    for (let fromUid = plan.fromUid; ;) {
      throwIfAborted(run.signal);
      const batch = await run.session.listMessages({
        fromUid,
        unseenOnly: plan.mode === 'unseen-scan',
        limit: this.deps.settings.batchSize,
      });
      if (batch.length === 0) break;
      const last = batch[batch.length - 1].uid;
      const known = new Map<number, Delivery>();
      const rows = await this.deps.ledger.listDeliveries({
        accountId: run.account.id,
        folder: run.account.folder,
        uidValidity: run.folder.uidValidity,
        fromUid: batch[0].uid,
      });
      for (const row of rows) if (row.uid <= last) known.set(row.uid, row);
      const settledRow = (uid: number) => {
        const row = known.get(uid);
        return row !== undefined && SETTLED_DELIVERY_STATES.includes(row.state);
      };
      const sources = new BatchSources(
        run.session,
        batch.filter((summary) => !settledRow(summary.uid) && summary.size <= this.deps.settings.maxMessageBytes),
      );
      for (const summary of batch) {
        throwIfAborted(run.signal);
        highest = Math.max(highest, summary.uid);
        const advance = plan.mode === 'incremental' && !blocked;
        const row = known.get(summary.uid);
        if (settledRow(summary.uid)) {
          if (advance) await this.deps.ledger.advanceCursor(this.location(run, summary.uid));
          continue;
        }
        const settled = await this.handle(run, summary, row ?? null, sources, advance, counts);
        if (!settled) blocked = true;
      }
      fromUid = last + 1;
    }
    if (plan.mode === 'unseen-scan' && !blocked) {
      await this.deps.ledger.setCursor({
        accountId: run.account.id,
        folder: run.account.folder,
        uidValidity: run.folder.uidValidity,
        lastUid: Math.max(0, highest),
      });
    }
    return counts;
  }

  /** Decides where to start, writing the first cursor where the account's initial sync says so; null: nothing to fetch. */
  private async plan(run: FolderSyncRun): Promise<{ mode: ScanMode; fromUid: number } | null> {
    const { account, folder } = run;
    const cursor = await this.deps.ledger.getCursor(account.id, account.folder);
    if (cursor && cursor.uidValidity === folder.uidValidity)
      return { mode: 'incremental', fromUid: cursor.lastUid + 1 };
    const setCursor = (lastUid: number) =>
      this.deps.ledger.setCursor({
        accountId: account.id,
        folder: account.folder,
        uidValidity: folder.uidValidity,
        lastUid,
      });
    if (cursor === null) {
      if (account.initialSync === 'new_only') {
        // Starts at UIDNEXT: nothing already in the folder becomes a ticket.
        await setCursor(Math.max(0, folder.uidNext - 1));
        return null;
      }
      if (account.initialSync === 'all') {
        await setCursor(0);
        return { mode: 'incremental', fromUid: 1 };
      }
      return { mode: 'unseen-scan', fromUid: 1 };
    }
    // UIDVALIDITY changed: every stored UID is void (RFC 3501 §2.3.1.1). Rescan; the message key keeps what was
    // already ingested from becoming a second ticket.
    this.deps.logger.warn('UIDVALIDITY changed; rescanning the folder', {
      accountId: account.id,
      folder: account.folder,
      previous: cursor.uidValidity,
      current: folder.uidValidity,
    });
    if (account.initialSync === 'all') {
      await setCursor(0);
      return { mode: 'incremental', fromUid: 1 };
    }
    return { mode: 'unseen-scan', fromUid: 1 };
  }

  /** Post-fetch actions a crash or a refusal left undone (rows still `ingested`). */
  private async finishPostActions(run: FolderSyncRun, counts: FolderSyncCounts): Promise<void> {
    const undone = await this.deps.ledger.listDeliveries({
      accountId: run.account.id,
      folder: run.account.folder,
      uidValidity: run.folder.uidValidity,
      states: ['ingested'],
    });
    if (undone.length === 0) return;
    // A message no longer in the folder was moved or deleted already (by us before a crash, or by someone else).
    const present = new Set((await run.session.listMessages({ fromUid: undone[0].uid })).map((summary) => summary.uid));
    for (const delivery of undone) {
      throwIfAborted(run.signal);
      if (!present.has(delivery.uid)) {
        await this.deps.ledger.markPostActionDone(delivery.id);
        continue;
      }
      await this.postAction(run, delivery, counts);
    }
  }

  /** One message not yet settled; returns whether it is settled now. */
  private async handle(
    run: FolderSyncRun,
    summary: MessageSummary,
    row: Delivery | null,
    sources: BatchSources,
    advance: boolean,
    counts: FolderSyncCounts,
  ): Promise<boolean> {
    const location = this.location(run, summary.uid);
    const outcome = await this.settlement.settle({
      account: run.account,
      location,
      label: `UID ${summary.uid} in ${location.folder}`,
      listedSize: summary.size,
      row,
      download: () => sources.take(summary.uid),
      receivedAt: summary.internalDate,
      stateAfterIngest: run.account.postFetch === 'keep' ? 'post_action_done' : 'ingested',
      advance,
      signal: run.signal,
      counts,
      ...(run.leaseOwner === undefined ? {} : { leaseOwner: run.leaseOwner }),
    });
    if (outcome.kind === 'pending') return false;
    if (outcome.kind === 'vanished') {
      // Expunged between listing and download: nothing left to fetch.
      this.deps.logger.info('message vanished before download', { accountId: run.account.id, uid: summary.uid });
      if (advance) await this.deps.ledger.advanceCursor(location);
      return true;
    }
    if (outcome.delivery?.state === 'ingested') await this.postAction(run, outcome.delivery, counts);
    return true;
  }

  /** Runs the post-fetch action; a refusal is remembered (retried next cycle), a connection error ends the run. */
  private async postAction(run: FolderSyncRun, delivery: Delivery, counts: FolderSyncCounts): Promise<void> {
    try {
      await applyPostFetchAction(run.session, delivery.uid, run.account.postFetch);
    } catch (error) {
      if (isPluginError(error) && (error.code === 'ERR_MAIL_OPERATION_FAILED' || error.code === 'ERR_INPUT_INVALID')) {
        this.deps.logger.warn('post-fetch action refused; retrying next cycle', {
          accountId: run.account.id,
          uid: delivery.uid,
          code: error.code,
        });
        counts.postActionError = error;
        return;
      }
      throw error;
    }
    await this.deps.ledger.markPostActionDone(delivery.id);
  }

  private location(run: FolderSyncRun, uid: number): MessageLocation {
    return { accountId: run.account.id, folder: run.account.folder, uidValidity: run.folder.uidValidity, uid };
  }
}
