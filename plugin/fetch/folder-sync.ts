/**
 * The message loop of one open folder (docs/architecture.md#poll-cycle): UIDs above the cursor, in order, in listed
 * batches, settled per fetched group (bounded by count and bytes): one UID FETCH of the group's sources -> the host
 * ingests the group (`ingestMany` where offered) -> the group's delivery rows + cursor + the account's counter in ONE
 * transaction (under the account lease) -> the post-fetch action once for the group's UID set. The next group is
 * fetched while the current one is settled. A crash anywhere re-ingests at most the group in flight, and the host
 * dedupes it by `dedupeKey`.
 */
import { isPluginError, type PluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { FolderState, MailSession, MessageSummary } from '../ports/mail-fetcher';
import { SETTLED_DELIVERY_STATES, type Delivery, type MessageLocation } from '../ports/mail-ledger';
import type { InboundMessage, IngestResult } from '../ports/host';
import { settlementGroups } from './settlement-groups';
import { applyPostFetchAction, applyPostFetchActionToSet } from './post-fetch-action';
import {
  emptyCounts,
  MessageSettlement,
  throwIfAborted,
  type FolderSyncCounts,
  type KeyedMessage,
  type MessageInSettlement,
  type MessageSettlementDeps,
  type PlannedWrite,
} from './message-settlement';
import { failureText } from '../../lib/loggable-error';

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
    // has to be listed at once; messages arriving meanwhile join a later batch. Each batch is settled in groups of
    // at most GROUP_MAX_BYTES listed bytes (settlement-groups.ts), in UID order.
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
      const groups = settlementGroups(
        batch,
        (summary) => !isSettled(known.get(summary.uid)) && summary.size <= this.deps.settings.maxMessageBytes,
      );
      // The next group's sources are fetched while this one is ingested and written: the IMAP connection runs the
      // FETCH while the host and the database work. What is fetched ahead and not yet written is only in memory,
      // so a crash loses nothing (the cursor has not passed it).
      let next: Promise<Map<number, Buffer | null>> | null = groups.length > 0 ? this.fetch(run, groups[0]!) : null;
      for (let i = 0; i < groups.length; i++) {
        const sources = await next!;
        next = i + 1 < groups.length ? this.fetch(run, groups[i + 1]!) : null;
        // Awaited in the next round; until then a failure must not count as unhandled.
        next?.catch(() => undefined);
        throwIfAborted(run.signal);
        const group = groups[i]!;
        highest = Math.max(highest, group[group.length - 1]!.uid);
        blocked = await this.settleGroup(
          run,
          group,
          known,
          sources,
          { incremental: plan.mode === 'incremental', blocked },
          counts,
        );
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
    throwIfAborted(run.signal);
    // A message no longer in the folder was moved or deleted already (by us before a crash, or by someone else).
    const present = new Set((await run.session.listMessages({ fromUid: undone[0].uid })).map((summary) => summary.uid));
    const gone = undone.filter((delivery) => !present.has(delivery.uid));
    await this.deps.ledger.markPostActionsDone(gone.map((delivery) => delivery.id));
    const due = undone.filter((delivery) => present.has(delivery.uid));
    for (let i = 0; i < due.length; i += this.deps.settings.batchSize) {
      throwIfAborted(run.signal);
      await this.postActions(run, due.slice(i, i + this.deps.settings.batchSize), counts);
    }
  }

  /** The sources of the group's messages to download (one UID FETCH where the session can); null: vanished. */
  private async fetch(run: FolderSyncRun, group: readonly MessageSummary[]): Promise<Map<number, Buffer | null>> {
    const limit = this.deps.settings.maxMessageBytes;
    const uids = group.filter((summary) => summary.size <= limit).map((summary) => summary.uid);
    const sources = new Map<number, Buffer | null>();
    if (uids.length === 0) return sources;
    if (uids.length === 1 || run.session.downloadMany === undefined) {
      for (const uid of uids) sources.set(uid, await run.session.download(uid));
      return sources;
    }
    const fetched = await run.session.downloadMany(uids);
    for (const uid of uids) sources.set(uid, fetched.get(uid) ?? null);
    return sources;
  }

  /**
   * Settles one group: the host ingests what it has no ticket of, then every row of the group and the cursor are
   * written in one transaction, then the reports, then the post-fetch action for the group's UID set.
   * @returns whether the cursor is blocked by a pending message now
   */
  private async settleGroup(
    run: FolderSyncRun,
    group: readonly MessageSummary[],
    known: ReadonlyMap<number, Delivery>,
    sources: ReadonlyMap<number, Buffer | null>,
    scan: { readonly incremental: boolean; readonly blocked: boolean },
    counts: FolderSyncCounts,
  ): Promise<boolean> {
    const limit = this.deps.settings.maxMessageBytes;
    const stateAfterIngest = run.account.postFetch === 'keep' ? 'post_action_done' : 'ingested';
    type Slot = { uid: number; plan: PlannedWrite | null; settled: boolean };
    const slots: Slot[] = [];
    type Downloaded = { slot: Slot; message: MessageInSettlement; base: KeyedMessage; raw: Buffer };
    const downloaded: Downloaded[] = [];
    for (const summary of group) {
      const row = known.get(summary.uid) ?? null;
      const slot: Slot = { uid: summary.uid, plan: null, settled: true };
      slots.push(slot);
      if (isSettled(row ?? undefined)) continue;
      const location = this.location(run, summary.uid);
      const message: MessageInSettlement = {
        account: run.account,
        location,
        label: `UID ${summary.uid} in ${location.folder}`,
        row,
        receivedAt: summary.internalDate,
        stateAfterIngest,
        counts,
      };
      if (summary.size > limit) {
        slot.plan = this.settlement.oversized(message, summary.size);
        continue;
      }
      const raw = sources.get(summary.uid) ?? null;
      if (raw === null) {
        // Expunged between listing and download: nothing left to fetch.
        this.deps.logger.info('message vanished before download', { accountId: run.account.id, uid: summary.uid });
        continue;
      }
      if (raw.length > limit) {
        slot.plan = this.settlement.oversized(message, raw.length);
        continue;
      }
      downloaded.push({ slot, message, base: this.settlement.keyed(message, raw), raw });
    }
    // A ticket already made of the same bytes is reused (one lookup for the group).
    const ticketed = await this.settlement.findIngestedMany(
      run.account.id,
      downloaded.map(({ base, raw, message }) => ({ base, raw, receivedAt: message.receivedAt })),
    );
    const toHost: Downloaded[] = [];
    downloaded.forEach((entry, index) => {
      const ticketId = ticketed[index]?.ticketId;
      if (ticketId) entry.slot.plan = this.settlement.ingested(entry.message, entry.base, ticketId, false);
      else toHost.push(entry);
    });
    // A poll stopped while the group downloaded (its lease lost, a timeout) hands the host nothing more.
    throwIfAborted(run.signal);
    const results = await this.ingest(
      toHost.map((entry) => this.settlement.inbound(entry.message, entry.base, entry.raw)),
    );
    toHost.forEach((entry, index) => {
      const answer = results[index]!;
      if ('error' in answer) {
        entry.slot.plan = this.settlement.rejected(entry.message, entry.base, answer.error);
        return;
      }
      const result = answer.result;
      if (result.duplicate) counts.duplicates += 1;
      else counts.fetched += 1;
      entry.slot.plan = this.settlement.ingested(entry.message, entry.base, result.ticketId, true);
    });
    // The cursor moves over the group up to the first message left pending (later ones are still written).
    let blocked = scan.blocked;
    let cursorUid: number | null = null;
    for (const slot of slots) {
      if (slot.plan !== null && !slot.plan.settled) blocked = true;
      if (scan.incremental && !blocked) cursorUid = slot.uid;
    }
    const planned = slots.filter((slot) => slot.plan !== null).map((slot) => slot.plan!);
    const stored = await this.deps.ledger.recordDeliveries({
      deliveries: planned.map((plan) => ({
        record: plan.record,
        countAttempt: plan.countAttempt,
        countFetched: plan.countFetched,
      })),
      cursor: cursorUid === null ? null : this.location(run, cursorUid),
      ...(run.leaseOwner === undefined ? {} : { leaseOwner: run.leaseOwner }),
    });
    for (const plan of planned) await plan.after?.();
    const due = stored.filter((delivery) => delivery.state === 'ingested');
    if (due.length > 0) await this.postActions(run, due, counts);
    return blocked;
  }

  /**
   * The host's answer per message: `ingestMany` for the group where the host offers it; when that throws (or the
   * host lacks it), one message at a time, so a rejected one is told apart and the rest still get their tickets
   * (those the batch already made come back as duplicates).
   */
  private async ingest(messages: readonly InboundMessage[]): Promise<IngestAnswer[]> {
    if (messages.length === 0) return [];
    const mail = this.deps.mail;
    if (messages.length > 1 && mail.ingestMany) {
      try {
        const results = await mail.ingestMany(messages);
        if (results.length === messages.length) return results.map((result) => ({ result }));
        this.deps.logger.warn('the host answered a batch ingest with a wrong count; ingesting one at a time', {
          accountId: messages[0]!.accountId,
          count: messages.length,
          answers: results.length,
        });
      } catch (error) {
        this.deps.logger.info('the host refused a batch; ingesting its messages one at a time', {
          accountId: messages[0]!.accountId,
          count: messages.length,
          reason: failureText(error).slice(0, 300),
        });
      }
    }
    const results: IngestAnswer[] = [];
    for (const message of messages) {
      try {
        results.push({ result: await mail.ingest(message) });
      } catch (error) {
        results.push({ error });
      }
    }
    return results;
  }

  /**
   * Runs the post-fetch action for a set of rows, in one command; refused, each UID is tried alone to find which
   * one the server refuses: those stay `ingested` (retried next cycle, reported), the others are done. A connection
   * error ends the run.
   */
  private async postActions(
    run: FolderSyncRun,
    deliveries: readonly Delivery[],
    counts: FolderSyncCounts,
  ): Promise<void> {
    const action = run.account.postFetch;
    try {
      await applyPostFetchActionToSet(
        run.session,
        deliveries.map((delivery) => delivery.uid),
        action,
      );
      await this.deps.ledger.markPostActionsDone(deliveries.map((delivery) => delivery.id));
      return;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (deliveries.length === 1 || error.code === 'ERR_INPUT_INVALID') {
        this.refused(run, deliveries, error, counts);
        return;
      }
    }
    const done: string[] = [];
    for (const delivery of deliveries) {
      try {
        await applyPostFetchAction(run.session, delivery.uid, action);
        done.push(delivery.id);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        this.refused(run, [delivery], error, counts);
      }
    }
    await this.deps.ledger.markPostActionsDone(done);
  }

  /** A refused post-fetch action is remembered (the rows stay `ingested`, retried next cycle). */
  private refused(
    run: FolderSyncRun,
    deliveries: readonly Delivery[],
    error: PluginError,
    counts: FolderSyncCounts,
  ): void {
    this.deps.logger.warn('post-fetch action refused; retrying next cycle', {
      accountId: run.account.id,
      uids: deliveries.map((delivery) => delivery.uid).join(','),
      code: error.code,
    });
    counts.postActionError = error;
  }

  private location(run: FolderSyncRun, uid: number): MessageLocation {
    return { accountId: run.account.id, folder: run.account.folder, uidValidity: run.folder.uidValidity, uid };
  }
}

/** The host's answer for one message of a group. */
type IngestAnswer = { readonly result: IngestResult } | { readonly error: unknown };

/** Whether a row means the message is never handed to the host again. */
function isSettled(row: Delivery | undefined | null): boolean {
  return row !== undefined && row !== null && SETTLED_DELIVERY_STATES.includes(row.state);
}

/** A post-fetch action the server (or the account's settings) refused, as opposed to a lost connection. */
function isRefusal(error: unknown): error is PluginError {
  return isPluginError(error) && (error.code === 'ERR_MAIL_OPERATION_FAILED' || error.code === 'ERR_INPUT_INVALID');
}
