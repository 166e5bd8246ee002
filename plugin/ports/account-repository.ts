/** Mail accounts (docs/architecture.md#oauth2_mail_accounts). */

/** How the plugin reaches the mail. */
export type MailProtocol = 'imap' | 'pop3';
/** `implicit` = TLS from the first byte (993); `starttls` = upgrade required; `none` = loopback only (tests, demo). */
export type TlsMode = 'implicit' | 'starttls' | 'none';
/** What the first cycle of a new account fetches. */
export type InitialSync = 'unseen' | 'all' | 'new_only';
/** What happens on the server after a message became a ticket: `move:<folder>` moves it. */
export type PostFetchAction = 'mark_seen' | 'keep' | 'delete' | `move:${string}`;
/**
 * How the account gets its tokens: `delegated` (a person signs in: authorization code or device flow, then refresh
 * tokens), `app_only` (the app's own client-credentials token; the login user is the mailbox), `service_account`
 * (a Google service account acting for the mailbox through domain-wide delegation, JWT bearer grant).
 */
export type AuthMode = 'delegated' | 'app_only' | 'service_account';

/** Every {@link AuthMode}. */
export const AUTH_MODES: readonly AuthMode[] = ['delegated', 'app_only', 'service_account'];

/** What the admin sees as the account's badge. */
export type AccountStatus = 'not_connected' | 'connected' | 'needs_reauth' | 'app_error' | 'retrying' | 'disabled';

/**
 * Sending replies through the account (SMTP submission with its token). When `enabled`, host, port and TLS are
 * set (the provider's defaults fill them in); `from` null means the mailbox address.
 */
export interface SmtpSettings {
  readonly enabled: boolean;
  readonly host: string | null;
  readonly port: number | null;
  readonly tls: TlsMode | null;
  readonly from: string | null;
}

/** Sending off, nothing configured. */
export const SMTP_OFF: SmtpSettings = Object.freeze({ enabled: false, host: null, port: null, tls: null, from: null });

/** Who polls an account right now (docs/architecture.md#poll-cycle): the owner id and until when (epoch ms). */
export interface AccountLease {
  /** `<hostname>:<pid>:<random>` for the plugin's own owners (plugin/lease-owner.ts). */
  readonly owner: string;
  readonly until: number;
}

/** One mailbox the helpdesk fetches from. */
export interface MailAccount {
  readonly id: string;
  readonly appId: string;
  /** Mailbox address; the SASL user. For a shared mailbox, the shared address. */
  readonly mailbox: string;
  readonly authMode: AuthMode;
  readonly protocol: MailProtocol;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly folder: string;
  readonly initialSync: InitialSync;
  readonly postFetch: PostFetchAction;
  readonly pollIntervalSeconds: number;
  /** A shared mailbox reached through a delegate's token: the signed-in identity may differ from `mailbox`. */
  readonly sharedViaDelegate: boolean;
  /** Sending replies through this account. */
  readonly smtp: SmtpSettings;
  readonly enabled: boolean;
  readonly status: AccountStatus;
  /** The PluginErrorCode behind a non-connected status. */
  readonly statusCode: string | null;
  /** Secret-free words for the admin. */
  readonly statusDetail: string | null;
  /** Who signed in at the provider (may differ from `mailbox` for a delegate). */
  readonly authorizedIdentity: string | null;
  readonly lastPollAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly nextPollAt: number | null;
  readonly failureCount: number;
  /** Messages handed to the host, counted with each ledger write (a killed poll's messages included). */
  readonly messagesFetched: number;
  /** The poll lease as stored, or null when none was ever taken or it was released (it may have lapsed). */
  readonly lease: AccountLease | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Fields an admin sets. */
export interface MailAccountInput {
  readonly appId: string;
  readonly mailbox: string;
  /** Default `delegated`. */
  readonly authMode?: AuthMode;
  readonly protocol?: MailProtocol;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly folder?: string;
  readonly initialSync?: InitialSync;
  readonly postFetch?: PostFetchAction;
  readonly pollIntervalSeconds?: number;
  readonly sharedViaDelegate?: boolean;
  /** Default: {@link SMTP_OFF}. */
  readonly smtp?: SmtpSettings;
  readonly enabled?: boolean;
}

/** A status change with its reason. */
export interface AccountStatusChange {
  readonly status: AccountStatus;
  readonly statusCode?: string | null;
  readonly statusDetail?: string | null;
  readonly authorizedIdentity?: string | null;
}

/**
 * What {@link AccountRepository.recordPoll} writes on the account after one poll. The messages fetched are not
 * part of it: the ledger counts them with each delivery it writes (MailLedger.recordDelivery `countFetched`).
 */
export interface PollRecord {
  readonly at: number;
  readonly nextPollAt: number;
  readonly succeeded: boolean;
}

/** Storage of mail accounts, including the poll lease that keeps two host processes off one account. */
export interface AccountRepository {
  create(input: MailAccountInput): Promise<MailAccount>;
  /** @throws PluginError ERR_NOT_FOUND */
  update(id: string, input: MailAccountInput): Promise<MailAccount>;
  find(id: string): Promise<MailAccount | null>;
  list(filter?: { readonly appId?: string }): Promise<MailAccount[]>;
  remove(id: string): Promise<void>;
  setStatus(id: string, change: AccountStatusChange): Promise<MailAccount>;
  /** Records a poll: last poll time, next due time, failure count (reset on success). */
  recordPoll(id: string, poll: PollRecord): Promise<void>;
  /** Enabled accounts whose next poll time has come (or was never set), oldest first. */
  listDue(now: number, limit: number): Promise<MailAccount[]>;
  /**
   * Atomically claims the account for `owner` until `until` when no live lease is held (none, lapsed before `now`,
   * or `owner`'s own).
   */
  acquireLease(id: string, owner: string, until: number, now: number): Promise<boolean>;
  /**
   * Extends `owner`'s lease to `until`, atomically and only while `owner` still holds it (lapsed or not): a poll
   * whose lease another process took gets false and must stop.
   */
  renewLease(id: string, owner: string, until: number): Promise<boolean>;
  /** Atomically moves the lease from `previousOwner` (a process known to be dead) to `owner`; false when it moved meanwhile. */
  takeOverLease(id: string, previousOwner: string, owner: string, until: number): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
}
