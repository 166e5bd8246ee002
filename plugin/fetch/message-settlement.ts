/**
 * The settlement rules of one message, whatever the protocol (docs/architecture.md#poll-cycle): over the size limit
 * -> left on the server, recorded `skipped` and reported once; else download -> a ticket already made of the same
 * bytes is reused, or the host ingests it with a `dedupeKey` -> the ledger row after the host accepted (under the
 * account lease) -> or, refused, `pending` until `quarantineAfter` attempts, then `quarantined` and reported once.
 * The IMAP folder sync and the POP3 maildrop sync both settle through here.
 */
import { PluginError, toPluginError } from '../errors';
import type { Clock } from '../ports/clock';
import type { EventLog, EventType } from '../ports/event-log';
import type { InboundMessage, IngestResult, LoggerPort, MailPort, NotifyPort } from '../ports/host';
import type { MailAccount } from '../ports/account-repository';
import type { Delivery, DeliveryRecord, DeliveryState, MailLedger, MessageLocation } from '../ports/mail-ledger';
import { ROUTE_PATHS } from '../admin/admin-paths';
import { messageIncidentKey } from './account-incidents';
import { IMAP_MAIL_SOURCE_ID, type FetchSettings } from './fetch-settings';
import { legacyMessageKey, messageKey, undownloadedMessageKey } from './message-key';
import { failureText } from '../../lib/loggable-error';

/** What the settlement needs. */
export interface MessageSettlementDeps {
  readonly ledger: MailLedger;
  readonly mail: Pick<MailPort, 'ingest' | 'ingestMany'>;
  readonly notify: NotifyPort;
  readonly events: EventLog;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly settings: FetchSettings;
}

/** What one poll fetched, counted as it goes. */
export interface FolderSyncCounts {
  fetched: number;
  duplicates: number;
  skipped: number;
  failed: number;
  quarantined: number;
  /** The last refused post-fetch action (retried next cycle), or null. */
  postActionError: PluginError | null;
}

/** One message to settle. */
export interface MessageToSettle {
  readonly account: MailAccount;
  readonly location: MessageLocation;
  /** How the admin is told which message: "UID 7 in INBOX", "UIDL 0000001a in the POP3 inbox". */
  readonly label: string;
  /** The size the server listed. */
  readonly listedSize: number;
  /** Its ledger row so far (a pending one), or null. */
  readonly row: Delivery | null;
  /** The exact raw bytes; null when the message vanished meanwhile. */
  readonly download: () => Promise<Buffer | null>;
  /** When the server received it (IMAP INTERNALDATE, whole seconds), or null when the protocol does not say. */
  readonly receivedAt: Date | null;
  /** The row's state once the host has a ticket: `post_action_done` for `keep`, else `ingested`. */
  readonly stateAfterIngest: Extract<DeliveryState, 'ingested' | 'post_action_done'>;
  /** Move the folder's cursor with the write (IMAP, incremental and not blocked). */
  readonly advance: boolean;
  readonly signal: AbortSignal;
  readonly counts: FolderSyncCounts;
  /** The account lease the writes are made under. */
  readonly leaseOwner?: string;
}

/** What the settlement rules need of a message (the batch loop downloads and writes by itself). */
export type MessageInSettlement = Pick<
  MessageToSettle,
  'account' | 'location' | 'label' | 'row' | 'receivedAt' | 'stateAfterIngest' | 'counts'
>;

/** A downloaded message's ledger identity. */
export type KeyedMessage = Omit<DeliveryRecord, 'state'>;

/** One ledger write the rules decided on, and what is due once it is stored. */
export interface PlannedWrite {
  readonly record: DeliveryRecord;
  readonly countAttempt: boolean;
  /** The host was handed the message for this write (the account's counter). */
  readonly countFetched: boolean;
  /** False for `pending`: the cursor must not pass it. */
  readonly settled: boolean;
  /** Reports due once the write is stored (a quarantine, a skip). */
  readonly after?: () => Promise<void>;
}

/** How a message ended: settled (with its row, null when skipped or quarantined), left pending, or gone. */
export type SettlementOutcome =
  | { readonly kind: 'settled'; readonly delivery: Delivery | null }
  | { readonly kind: 'pending' }
  | { readonly kind: 'vanished' };

const MAX_ERROR_TEXT = 300;
/** IMAP INTERNALDATE names a second (RFC 3501 date-time). */
const INTERNALDATE_RESOLUTION_MS = 1000;

/** The settlement rules; {@link settle} applies them to one message at a time (POP3). */
export class MessageSettlement {
  constructor(private readonly deps: MessageSettlementDeps) {}

  /** Settles one message that is not settled yet. Session errors and aborts are thrown. */
  async settle(message: MessageToSettle): Promise<SettlementOutcome> {
    const { account, counts } = message;
    const limit = this.deps.settings.maxMessageBytes;
    if (message.listedSize > limit) return this.write(message, this.oversized(message, message.listedSize));
    const raw = await message.download();
    if (raw === null) return { kind: 'vanished' };
    if (raw.length > limit) return this.write(message, this.oversized(message, raw.length));
    const base = this.keyed(message, raw);
    const known = await this.findIngested(account.id, base.messageKey, raw, message.receivedAt);
    if (known?.ticketId) return this.write(message, this.ingested(message, base, known.ticketId, false));
    // A poll stopped while the message downloaded (its lease lost, a timeout) hands the host nothing more.
    throwIfAborted(message.signal);
    let result: IngestResult;
    try {
      result = await this.deps.mail.ingest(this.inbound(message, base, raw));
    } catch (error) {
      return this.write(message, this.rejected(message, base, error));
    }
    if (result.duplicate) counts.duplicates += 1;
    else counts.fetched += 1;
    return this.write(message, this.ingested(message, base, result.ticketId, true));
  }

  /** The key, `dedupeKey` and size of a downloaded message. */
  keyed(message: MessageInSettlement, raw: Buffer): KeyedMessage {
    const key = messageKey(raw);
    return { ...message.location, messageKey: key, dedupeKey: `${message.account.id}:${key}`, size: raw.length };
  }

  /** What the host is handed. */
  inbound(message: MessageInSettlement, base: KeyedMessage, raw: Buffer): InboundMessage {
    return {
      sourceId: IMAP_MAIL_SOURCE_ID,
      accountId: message.account.id,
      dedupeKey: base.dedupeKey,
      raw,
      receivedAt: message.receivedAt ?? new Date(this.deps.clock.now()),
    };
  }

  /**
   * The row of a message the host has a ticket of; `handedToHost`: this poll handed it over (a host answer of
   * "duplicate" still counts: its first ticket was made by a poll that died before its write). Else the ticket was
   * found in the ledger and this counts as a duplicate.
   */
  ingested(message: MessageInSettlement, base: KeyedMessage, ticketId: string, handedToHost: boolean): PlannedWrite {
    if (!handedToHost) message.counts.duplicates += 1;
    return {
      record: { ...base, state: message.stateAfterIngest, ticketId, lastError: null },
      countAttempt: true,
      countFetched: handedToHost,
      settled: true,
    };
  }

  private async write(message: MessageToSettle, plan: PlannedWrite): Promise<SettlementOutcome> {
    const delivery = await this.deps.ledger.recordDelivery(plan.record, {
      advanceCursor: message.advance && plan.settled,
      countAttempt: plan.countAttempt,
      countFetched: plan.countFetched,
      ...fence(message),
    });
    await plan.after?.();
    if (!plan.settled) return { kind: 'pending' };
    return { kind: 'settled', delivery: plan.record.state === message.stateAfterIngest ? delivery : null };
  }

  /** An event and a notification; their failure is logged, never allowed to stop the fetch. */
  async report(
    account: MailAccount,
    type: EventType,
    code: string,
    message: string,
    notification: Parameters<NotifyPort['notify']>[0],
  ): Promise<void> {
    try {
      await this.deps.events.record({
        at: this.deps.clock.now(),
        type,
        accountId: account.id,
        appId: account.appId,
        actorId: null,
        code,
        message,
      });
      await this.deps.notify.notify(notification);
    } catch (error) {
      this.deps.logger.warn('could not record or notify', {
        accountId: account.id,
        type,
        code: toPluginError(error).code,
      });
    }
  }

  /**
   * The delivery that already made a ticket of this message: one with its key, or a row written under the legacy
   * key rule before the server's INTERNALDATE says this message arrived later (plugin/ports/mail-ledger.ts).
   */
  async findIngested(accountId: string, key: string, raw: Buffer, receivedAt: Date | null): Promise<Delivery | null> {
    const known = await this.deps.ledger.findIngestedByMessageKey(accountId, key);
    if (known || receivedAt === null) return known;
    // INTERNALDATE has whole seconds: the message may have arrived until the last millisecond of the one it names.
    const latestArrival = receivedAt.getTime() + INTERNALDATE_RESOLUTION_MS - 1;
    return this.deps.ledger.findIngestedByLegacyKey(accountId, legacyMessageKey(raw), latestArrival);
  }

  /** {@link findIngested} for the messages of a group, in a few ledger statements; per message, in order. */
  async findIngestedMany(
    accountId: string,
    messages: ReadonlyArray<{ readonly base: KeyedMessage; readonly raw: Buffer; readonly receivedAt: Date | null }>,
  ): Promise<Array<Delivery | null>> {
    if (messages.length === 0) return [];
    return this.deps.ledger.findIngestedMany(
      accountId,
      messages.map(({ base, raw, receivedAt }) =>
        receivedAt === null
          ? { messageKey: base.messageKey }
          : {
              messageKey: base.messageKey,
              legacy: {
                legacyKey: legacyMessageKey(raw),
                receivedAt: receivedAt.getTime() + INTERNALDATE_RESOLUTION_MS - 1,
              },
            },
      ),
    );
  }

  /** The host refused the message: pending (retried next cycle), or after N tries quarantined (left on the server). */
  rejected(message: MessageInSettlement, base: KeyedMessage, error: unknown): PlannedWrite {
    const { account, counts } = message;
    const attempts = (message.row?.attempts ?? 0) + 1;
    // The host's words, scrubbed: a driver error's text carries the failing statement with the customer's address.
    const reason = failureText(error).slice(0, MAX_ERROR_TEXT);
    const where = logLocation(message.location);
    counts.failed += 1;
    if (attempts < this.deps.settings.quarantineAfter) {
      this.deps.logger.warn('host rejected a message; retrying next cycle', {
        accountId: account.id,
        ...where,
        attempts,
        reason,
      });
      return {
        record: { ...base, state: 'pending', lastError: reason },
        countAttempt: true,
        countFetched: false,
        settled: false,
      };
    }
    counts.quarantined += 1;
    const text =
      `The helpdesk rejected message ${message.label} of ${account.mailbox} ${attempts} times; ` +
      `it was quarantined and left on the server. Last reason: ${reason}`;
    return {
      record: { ...base, state: 'quarantined', lastError: reason },
      countAttempt: true,
      countFetched: false,
      settled: true,
      after: async () => {
        this.deps.logger.warn('message quarantined', { accountId: account.id, ...where, attempts });
        await this.report(account, 'message_quarantined', 'ERR_INGEST_REJECTED', text, {
          key: messageIncidentKey(account.id, 'quarantined', message.location),
          severity: 'error',
          title: `Mail account ${account.mailbox}: a message was quarantined`,
          message: text,
          path: ROUTE_PATHS.accounts,
        });
      },
    };
  }

  /** Over the size limit: left on the server, recorded `skipped`, reported once the row is written. */
  oversized(message: MessageInSettlement, size: number): PlannedWrite {
    const { account, location } = message;
    const key = undownloadedMessageKey(location, size);
    const limit = this.deps.settings.maxMessageBytes;
    const text =
      `Message ${message.label} of ${account.mailbox} is ${size} bytes, ` +
      `over the limit of ${limit} bytes; it was left on the server.`;
    message.counts.skipped += 1;
    return {
      record: {
        ...location,
        messageKey: key,
        dedupeKey: `${account.id}:${key}`,
        size,
        state: 'skipped',
        lastError: text,
      },
      countAttempt: false,
      countFetched: false,
      settled: true,
      after: () =>
        this.report(account, 'message_skipped', 'ERR_MESSAGE_TOO_LARGE', text, {
          key: messageIncidentKey(account.id, 'skipped', location),
          severity: 'warning',
          title: `Mail account ${account.mailbox}: a message is too large`,
          message: `${text} Raise fetch.maxMessageBytes or handle the message by hand.`,
          path: ROUTE_PATHS.accounts,
        }),
    };
  }
}

/** The lease condition of a message's ledger writes. */
function fence(message: { readonly leaseOwner?: string }): { leaseOwner?: string } {
  return message.leaseOwner === undefined ? {} : { leaseOwner: message.leaseOwner };
}

/** The log fields that name a message: its UID, or its UIDL. */
function logLocation(location: MessageLocation): { uid: number } | { uidl: string } {
  return location.uidl ? { uidl: location.uidl } : { uid: location.uid };
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
