/**
 * The fetch ledger (docs/architecture.md: `oauth2_mail_cursors`, `oauth2_mail_deliveries`, "Poll cycle"): per
 * folder a cursor (UIDVALIDITY + last settled UID) and per fetched message one delivery row. Writing a delivery and
 * advancing the cursor happen in one transaction (for IMAP, the rows of a whole fetched batch and the cursor:
 * {@link MailLedger.recordDeliveries}), so a crash re-ingests at most the batch in flight, which the host dedupes by
 * `dedupeKey`.
 */

/** Where a delivery stands. */
export type DeliveryState =
  /** The host rejected it; retried next cycle until `quarantineAfter` attempts. */
  | 'pending'
  /** The host made a ticket of it; the post-fetch action is still due. */
  | 'ingested'
  /** Ticket made and the post-fetch action done (or `keep`). */
  | 'post_action_done'
  /** Left on the server (over the size limit). */
  | 'skipped'
  /** Rejected by the host too often; left on the server and reported once. */
  | 'quarantined';

/** States after which a message is never handed to the host again. */
export const SETTLED_DELIVERY_STATES: readonly DeliveryState[] = [
  'ingested',
  'post_action_done',
  'skipped',
  'quarantined',
];

/**
 * Which rule made a row's message key: `content` (sha256 of the raw bytes: every row written now) or `legacy`
 * (Message-ID + Date + size: rows written before migration 20261201000200_deliveries_message_key_rule).
 */
export type MessageKeyRule = 'content' | 'legacy';

/**
 * One message's place on the server: IMAP UIDs only mean something together with UIDVALIDITY; a POP3 message is
 * known by its UIDL alone ({@link pop3Location}: folder '', UIDVALIDITY '', UID 0).
 */
export interface MessageLocation {
  readonly accountId: string;
  readonly folder: string;
  /** UIDVALIDITY as a decimal string; '' for POP3. */
  readonly uidValidity: string;
  readonly uid: number;
  /** POP3: the message's UIDL; absent (or '') for IMAP. */
  readonly uidl?: string;
}

/** Where the ledger keeps a POP3 message: the account's maildrop has no folders, no UIDVALIDITY and no UIDs. */
export function pop3Location(accountId: string, uidl: string): MessageLocation {
  return { accountId, folder: '', uidValidity: '', uid: 0, uidl };
}

/** A folder's high-water mark: every UID up to `lastUid` (under `uidValidity`) is settled. */
export interface MailCursor {
  readonly accountId: string;
  readonly folder: string;
  readonly uidValidity: string;
  readonly lastUid: number;
  readonly updatedAt: number;
}

/** One ledger row. */
export interface Delivery extends MessageLocation {
  readonly id: string;
  /** sha256 hex of the raw bytes (`content`), or of Message-ID + Date + size on a `legacy` row. */
  readonly messageKey: string;
  readonly messageKeyRule: MessageKeyRule;
  /** `${accountId}:${messageKey}`, the key the host dedupes on. */
  readonly dedupeKey: string;
  readonly ticketId: string | null;
  readonly state: DeliveryState;
  /** How many times the host was asked (and, for `pending`, refused). */
  readonly attempts: number;
  /** Secret-free reason of the last failure. */
  readonly lastError: string | null;
  readonly size: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What to write for one message; its key is always of the `content` rule. */
export interface DeliveryRecord extends MessageLocation {
  readonly messageKey: string;
  readonly dedupeKey: string;
  readonly size: number;
  readonly state: DeliveryState;
  readonly ticketId?: string | null;
  readonly lastError?: string | null;
}

/** How {@link MailLedger.recordDelivery} writes. */
export interface DeliveryWriteOptions {
  /** Move the cursor up to the delivery's UID in the same transaction. */
  readonly advanceCursor: boolean;
  /** Count one more attempt on the row. */
  readonly countAttempt: boolean;
  /**
   * The host was handed the message for this write: the account's `messages_fetched` + 1 in the same transaction,
   * once per location (a row already `ingested` or `post_action_done` is not counted again).
   */
  readonly countFetched?: boolean;
  /**
   * Write only while this owner holds the account's poll lease: a poll whose lease another process took writes
   * nothing and gets ERR_LEASE_LOST.
   */
  readonly leaseOwner?: string;
}

/** One delivery of a batch and how it is counted ({@link MailLedger.recordDeliveries}). */
export interface BatchDelivery {
  readonly record: DeliveryRecord;
  /** Count one more attempt on the row. */
  readonly countAttempt: boolean;
  /** As {@link DeliveryWriteOptions.countFetched}. */
  readonly countFetched?: boolean;
}

/** A batch's deliveries and where the cursor moves with them. */
export interface DeliveryBatch {
  /** All of one account. */
  readonly deliveries: readonly BatchDelivery[];
  /** Move the cursor of this folder up to this UID in the same transaction (as advanceCursor); null: leave it. */
  readonly cursor: MessageLocation | null;
  /** As {@link DeliveryWriteOptions.leaseOwner}. */
  readonly leaseOwner?: string;
}

/** One message of {@link MailLedger.findIngestedMany}: its key, and its legacy key with its arrival. */
export interface IngestedLookup {
  readonly messageKey: string;
  /** Look for a `legacy` row too when no `content` row matches (as {@link MailLedger.findIngestedByLegacyKey}). */
  readonly legacy?: { readonly legacyKey: string; readonly receivedAt: number };
}

/** Storage of cursors and deliveries. */
export interface MailLedger {
  /** The folder's cursor, or null before the first sync. */
  getCursor(accountId: string, folder: string): Promise<MailCursor | null>;
  /** Creates or replaces the folder's cursor (first sync, or a completed rescan after a UIDVALIDITY change). */
  setCursor(cursor: Omit<MailCursor, 'updatedAt'>): Promise<void>;
  /**
   * Moves the cursor up to `uid` when its UIDVALIDITY matches; never moves it down.
   * @returns true when the cursor now stands at or above `uid`
   */
  advanceCursor(location: MessageLocation): Promise<boolean>;
  /** The delivery of one message, or null. */
  findDelivery(location: MessageLocation): Promise<Delivery | null>;
  /** Deliveries of a folder under one UIDVALIDITY with UID >= `fromUid` (default all), optionally only some states; ascending UID. */
  listDeliveries(query: {
    readonly accountId: string;
    readonly folder: string;
    readonly uidValidity: string;
    readonly fromUid?: number;
    readonly states?: readonly DeliveryState[];
  }): Promise<Delivery[]>;
  /**
   * A `content`-rule delivery of the account in state `ingested` or `post_action_done` with this message key (any
   * folder or UIDVALIDITY), or null.
   */
  findIngestedByMessageKey(accountId: string, messageKey: string): Promise<Delivery | null>;
  /**
   * A `legacy`-rule delivery of the account in state `ingested` or `post_action_done` with this legacy key (any
   * folder or UIDVALIDITY) that was written after `receivedAt`, or null. The legacy key does not tell apart two
   * messages with the same Message-ID, Date and size; the row can only be about a message the server already had
   * when the row was written, so a message received later (a forged twin) never matches it.
   * @param receivedAt - the latest instant the message can have arrived (its INTERNALDATE's second, to the end), epoch ms
   */
  findIngestedByLegacyKey(accountId: string, legacyKey: string, receivedAt: number): Promise<Delivery | null>;
  /**
   * {@link findIngestedByMessageKey}, then for a miss with `legacy` {@link findIngestedByLegacyKey}, for many
   * messages of one account in a few statements (not one per message).
   * @returns per lookup, in the order given, the delivery or null
   */
  findIngestedMany(accountId: string, lookups: readonly IngestedLookup[]): Promise<Array<Delivery | null>>;
  /**
   * In ONE transaction: checks the lease (`leaseOwner`), writes the delivery (insert, or update the row at the same
   * location, counting one more attempt when `countAttempt`), counts it on the account (`countFetched`) and, when
   * `advanceCursor`, moves the cursor up to its UID (as {@link advanceCursor}).
   * @returns the row as stored
   * @throws PluginError ERR_LEASE_LOST (nothing written) | ERR_NOT_FOUND (no such account)
   */
  recordDelivery(record: DeliveryRecord, options: DeliveryWriteOptions): Promise<Delivery>;
  /**
   * In ONE transaction: checks the lease, writes every delivery of the batch as {@link recordDelivery} would, counts
   * them on the account and moves the cursor up to `cursor` (never down). All or nothing.
   * @returns the rows as stored, in the order given
   * @throws PluginError ERR_LEASE_LOST (nothing written) | ERR_NOT_FOUND (no such account)
   */
  recordDeliveries(batch: DeliveryBatch): Promise<Delivery[]>;
  /** `ingested` -> `post_action_done`. */
  markPostActionDone(deliveryId: string): Promise<void>;
  /** `ingested` -> `post_action_done` for each of these rows in one statement; unknown ids, other states untouched. */
  markPostActionsDone(deliveryIds: readonly string[]): Promise<void>;
  /**
   * Deletes the account's POP3 deliveries whose UIDL is not in `present` (the messages left the server), so the
   * ledger of a `keep` maildrop does not grow for ever. Rows written at or after `listedAt` stay: a process that
   * lost the account's lease never prunes what the new holder recorded since.
   * @param present - every UIDL the server listed
   * @param listedAt - when the server listed them (epoch ms)
   * @returns how many rows were deleted
   */
  prunePop3Deliveries(accountId: string, present: readonly string[], listedAt: number): Promise<number>;
}
