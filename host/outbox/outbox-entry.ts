/** One outgoing message of the durable outbox (`host_outbox`) and what a caller hands in to commit one. */

/** Where a message is in its life: `queued` (due at `nextAttemptAt`), `sending` (leased), `sent`, `failed`. */
export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

/** Every state, in life order. */
export const OUTBOX_STATES: readonly OutboxState[] = ['queued', 'sending', 'sent', 'failed'];

/** What is committed: the message and the way out (plugin, transport, account). */
export interface OutboxDraft {
  /** The ticket it answers, if any. */
  readonly ticketId?: string | null;
  readonly pluginId: string;
  readonly transportId: string;
  readonly accountId: string;
  /** The From address (the sender account's address for a reply). */
  readonly from: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly bcc?: readonly string[];
  readonly subject?: string | null;
  readonly text: string;
  /** Message-ID it answers, with angle brackets. */
  readonly inReplyTo?: string | null;
  /** The thread's Message-IDs, oldest first. */
  readonly references?: readonly string[];
  /** Host user who wrote it; null from the console. */
  readonly authorId?: string | null;
}

/** A row of the outbox. */
export interface OutboxEntry {
  readonly id: string;
  readonly ticketId: string | null;
  readonly pluginId: string;
  readonly transportId: string;
  readonly accountId: string;
  /** Generated at commit (`<random@domain of From>`), the same on every attempt. */
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject: string | null;
  readonly text: string;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  readonly authorId: string | null;
  readonly state: OutboxState;
  /** Attempts started so far (an attempt a crash interrupted counts too). */
  readonly attempts: number;
  /** epoch ms when a queued row is due; null once sent or failed. */
  readonly nextAttemptAt: number | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
  readonly lastErrorCode: string | null;
  readonly lastErrorMessage: string | null;
  /** The server's final answer once sent. */
  readonly response: string | null;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly sentAt: number | null;
}
