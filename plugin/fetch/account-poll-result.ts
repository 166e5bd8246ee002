/** What one poll of one account did, for the console (`oauth2-mail poll --once`) and the log. */
import type { PluginErrorCode } from '../errors';
import type { AccountStatus } from '../ports/account-repository';

/** How the poll of one account ended (the `outcome` of {@link AccountPollResult}). */
export type AccountPollOutcome =
  /** The mailbox was read (some messages may still have failed: see `failed`). */
  | 'polled'
  /** The poll stopped on an error (see `error`). */
  | 'failed'
  /** Another host process holds the account's lease right now, or took it over during the poll. */
  | 'busy'
  /** The host is shutting down; the poll stopped and resumes next time. */
  | 'aborted';

/** Counts and status of one account after a poll. */
export interface AccountPollResult {
  readonly accountId: string;
  readonly mailbox: string;
  readonly outcome: AccountPollOutcome;
  /** New tickets made from this account in this poll. */
  readonly fetched: number;
  /** Messages the host or the ledger already had (crash recovery, rescan after a UIDVALIDITY change). */
  readonly duplicates: number;
  /** Messages left on the server for their size. */
  readonly skipped: number;
  /** Messages the host rejected in this poll (retried next cycle; quarantined after N tries). */
  readonly failed: number;
  /** Messages quarantined in this poll (counted in `failed` too). */
  readonly quarantined: number;
  /** The account's status after the poll. */
  readonly status: AccountStatus;
  /** Why the poll failed, or the last message-level problem (a refused post-fetch action). */
  readonly error?: { readonly code: PluginErrorCode; readonly message: string };
}
