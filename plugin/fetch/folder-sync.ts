/**
 * The message loop of one open folder (docs/architecture.md#poll-cycle): UIDs above the cursor, in order, in batches
 * -> host ingest -> delivery row + cursor + the account's counter in one transaction (under the account lease) ->
 * post-fetch action. A crash anywhere re-ingests at most the message in flight, and the host dedupes it by
 * `dedupeKey`.
 */
import { isPluginError, PluginError, toPluginError } from '../errors';
import type { Clock } from '../ports/clock';
import type { EventLog, EventType } from '../ports/event-log';
import type { LoggerPort, MailPort, NotifyPort } from '../ports/host';
import type { MailAccount } from '../ports/account-repository';
import type { FolderState, MailSession, MessageSummary } from '../ports/mail-fetcher';
import {
  SETTLED_DELIVERY_STATES,
  type Delivery,
  type DeliveryRecord,
  type MailLedger,
  type MessageLocation,
} from '../ports/mail-ledger';
import { ROUTE_PATHS } from '../admin/admin-paths';
import { messageIncidentKey } from './account-incidents';
import { IMAP_MAIL_SOURCE_ID, type FetchSettings } from './fetch-settings';
import { BatchSources } from './batch-sources';
import { legacyMessageKey, messageKey, undownloadedMessageKey } from './message-key';
import { applyPostFetchAction } from './post-fetch-action';
import { failureText } from '../../lib/loggable-error';

/** What the folder sync needs. */
export interface FolderSyncDeps {
  readonly ledger: MailLedger;
  readonly mail: Pick<MailPort, 'ingest'>;
  readonly notify: NotifyPort;
  readonly events: EventLog;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly settings: FetchSettings;
}

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

/** Counts of one run. */
export interface FolderSyncCounts {
  fetched: number;
  duplicates: number;
  skipped: number;
  failed: number;
  quarantined: number;
  /** The last refused post-fetch action; the message stays `ingested` and the action is retried next cycle. */
  postActionError: PluginError | null;
}

/** How the folder is read this time. */
type ScanMode =
  /** Everything above the cursor; each settled message advances the cursor. */
  | 'incremental'
  /** Unseen messages from UID 1 while no cursor of this UIDVALIDITY exists; the cursor is written once all are settled. */
  | 'unseen-scan';

const MAX_ERROR_TEXT = 300;
/** IMAP INTERNALDATE names a second (RFC 3501 date-time). */
const INTERNALDATE_RESOLUTION_MS = 1000;

/** Runs the message loop for one folder of one account. */
export class FolderSync {
  constructor(private readonly deps: FolderSyncDeps) {}

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
    const { account } = run;
    const location = this.location(run, summary.uid);
    if (summary.size > this.deps.settings.maxMessageBytes) {
      await this.skipOversized(run, location, summary.size, advance, counts);
      return true;
    }
    const raw = await sources.take(summary.uid);
    if (raw === null) {
      // Expunged between listing and download: nothing left to fetch.
      this.deps.logger.info('message vanished before download', { accountId: account.id, uid: summary.uid });
      if (advance) await this.deps.ledger.advanceCursor(location);
      return true;
    }
    if (raw.length > this.deps.settings.maxMessageBytes) {
      await this.skipOversized(run, location, raw.length, advance, counts);
      return true;
    }
    const key = messageKey(raw);
    const base = { ...location, messageKey: key, dedupeKey: `${account.id}:${key}`, size: raw.length };
    const known = await this.findIngested(account.id, key, raw, summary);
    let ticketId: string;
    // A host answer of "duplicate" still counts: its first ticket was made by a poll that died before this write.
    let handedToHost = false;
    if (known?.ticketId) {
      ticketId = known.ticketId;
      counts.duplicates += 1;
    } else {
      // A poll stopped while the message downloaded (its lease lost, a timeout) hands the host nothing more.
      throwIfAborted(run.signal);
      try {
        const result = await this.deps.mail.ingest({
          sourceId: IMAP_MAIL_SOURCE_ID,
          accountId: account.id,
          dedupeKey: base.dedupeKey,
          raw,
          receivedAt: summary.internalDate ?? new Date(this.deps.clock.now()),
        });
        ticketId = result.ticketId;
        handedToHost = true;
        if (result.duplicate) counts.duplicates += 1;
        else counts.fetched += 1;
      } catch (error) {
        return this.rejected(run, base, row, error, advance, counts);
      }
    }
    const state = account.postFetch === 'keep' ? 'post_action_done' : 'ingested';
    const delivery = await this.deps.ledger.recordDelivery(
      { ...base, state, ticketId, lastError: null },
      { advanceCursor: advance, countAttempt: true, countFetched: handedToHost, ...this.fence(run) },
    );
    if (state === 'ingested') await this.postAction(run, delivery, counts);
    return true;
  }

  /**
   * The delivery that already made a ticket of this message: one with its key, or a row written under the legacy
   * key rule before the server's INTERNALDATE says this message arrived later (plugin/ports/mail-ledger.ts).
   */
  private async findIngested(
    accountId: string,
    key: string,
    raw: Buffer,
    summary: MessageSummary,
  ): Promise<Delivery | null> {
    const known = await this.deps.ledger.findIngestedByMessageKey(accountId, key);
    if (known || summary.internalDate === null) return known;
    // INTERNALDATE has whole seconds: the message may have arrived until the last millisecond of the one it names.
    const latestArrival = summary.internalDate.getTime() + INTERNALDATE_RESOLUTION_MS - 1;
    return this.deps.ledger.findIngestedByLegacyKey(accountId, legacyMessageKey(raw), latestArrival);
  }

  /** The host refused the message: pending (retried next cycle) or, after N tries, quarantined so the folder moves on. */
  private async rejected(
    run: FolderSyncRun,
    base: Omit<DeliveryRecord, 'state'>,
    row: Delivery | null,
    error: unknown,
    advance: boolean,
    counts: FolderSyncCounts,
  ): Promise<boolean> {
    const attempts = (row?.attempts ?? 0) + 1;
    // The host's words, scrubbed: a driver error's text carries the failing statement with the customer's address.
    const reason = failureText(error).slice(0, MAX_ERROR_TEXT);
    counts.failed += 1;
    if (attempts < this.deps.settings.quarantineAfter) {
      this.deps.logger.warn('host rejected a message; retrying next cycle', {
        accountId: run.account.id,
        uid: base.uid,
        attempts,
        reason,
      });
      await this.deps.ledger.recordDelivery(
        { ...base, state: 'pending', lastError: reason },
        { advanceCursor: false, countAttempt: true, ...this.fence(run) },
      );
      return false;
    }
    counts.quarantined += 1;
    await this.deps.ledger.recordDelivery(
      { ...base, state: 'quarantined', lastError: reason },
      { advanceCursor: advance, countAttempt: true, ...this.fence(run) },
    );
    const message =
      `The helpdesk rejected message UID ${base.uid} in ${base.folder} of ${run.account.mailbox} ${attempts} times; ` +
      `it was quarantined and left on the server. Last reason: ${reason}`;
    this.deps.logger.warn('message quarantined', { accountId: run.account.id, uid: base.uid, attempts });
    await this.report(run, 'message_quarantined', 'ERR_INGEST_REJECTED', message, {
      key: messageIncidentKey(run.account.id, 'quarantined', base.folder, base.uidValidity, base.uid),
      severity: 'error',
      title: `Mail account ${run.account.mailbox}: a message was quarantined`,
      message,
      path: ROUTE_PATHS.accounts,
    });
    return true;
  }

  private async skipOversized(
    run: FolderSyncRun,
    location: MessageLocation,
    size: number,
    advance: boolean,
    counts: FolderSyncCounts,
  ): Promise<void> {
    const key = undownloadedMessageKey(location.folder, location.uidValidity, location.uid, size);
    const limit = this.deps.settings.maxMessageBytes;
    const message =
      `Message UID ${location.uid} in ${location.folder} of ${run.account.mailbox} is ${size} bytes, ` +
      `over the limit of ${limit} bytes; it was left on the server.`;
    await this.deps.ledger.recordDelivery(
      {
        ...location,
        messageKey: key,
        dedupeKey: `${run.account.id}:${key}`,
        size,
        state: 'skipped',
        lastError: message,
      },
      { advanceCursor: advance, countAttempt: false, ...this.fence(run) },
    );
    counts.skipped += 1;
    await this.report(run, 'message_skipped', 'ERR_MESSAGE_TOO_LARGE', message, {
      key: messageIncidentKey(run.account.id, 'skipped', location.folder, location.uidValidity, location.uid),
      severity: 'warning',
      title: `Mail account ${run.account.mailbox}: a message is too large`,
      message: `${message} Raise fetch.maxMessageBytes or handle the message by hand.`,
      path: ROUTE_PATHS.accounts,
    });
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

  /** An event and a notification; their failure is logged, never allowed to stop the fetch. */
  private async report(
    run: FolderSyncRun,
    type: EventType,
    code: string,
    message: string,
    notification: Parameters<NotifyPort['notify']>[0],
  ): Promise<void> {
    try {
      await this.deps.events.record({
        at: this.deps.clock.now(),
        type,
        accountId: run.account.id,
        appId: run.account.appId,
        actorId: null,
        code,
        message,
      });
      await this.deps.notify.notify(notification);
    } catch (error) {
      this.deps.logger.warn('could not record or notify', {
        accountId: run.account.id,
        type,
        code: toPluginError(error).code,
      });
    }
  }

  /** The lease condition of the run's ledger writes. */
  private fence(run: FolderSyncRun): { leaseOwner?: string } {
    return run.leaseOwner === undefined ? {} : { leaseOwner: run.leaseOwner };
  }

  private location(run: FolderSyncRun, uid: number): MessageLocation {
    return { accountId: run.account.id, folder: run.account.folder, uidValidity: run.folder.uidValidity, uid };
  }
}

/** Zero counts. */
export function emptyCounts(): FolderSyncCounts {
  return { fetched: 0, duplicates: 0, skipped: 0, failed: 0, quarantined: 0, postActionError: null };
}

/** Throws the abort reason (the cycle maps a timeout to ERR_TIMEOUT). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted)
    throw signal.reason instanceof Error ? signal.reason : new PluginError('ERR_TIMEOUT', 'The poll was stopped.');
}
