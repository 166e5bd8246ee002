/** The limits the polling cycle works with (plugin config `fetch`, docs/architecture.md#poll-cycle). */

/** Settings of the fetch cycle; main.ts builds them from the plugin config. */
export interface FetchSettings {
  /** UIDs listed (UID SEARCH + one FETCH of sizes and flags) per batch. */
  readonly batchSize: number;
  /** Messages listed larger than this are left on the server, recorded as skipped and reported. */
  readonly maxMessageBytes: number;
  /** Accounts polled at the same time by one process. */
  readonly concurrency: number;
  /** One account's poll is stopped after this long. */
  readonly accountTimeoutSeconds: number;
  /** A message the host rejects this many times is quarantined. */
  readonly quarantineAfter: number;
  /** Connection + greeting timeout of one IMAP connect (default 30 s, never above the account timeout). */
  readonly connectTimeoutMs?: number;
  /** How long the mail server may stay silent while a command waits (default 60 s, never above the account timeout). */
  readonly commandTimeoutSeconds?: number;
  /** Extra trusted CA (PEM) for the mail servers, besides the system store and NODE_EXTRA_CA_CERTS. */
  readonly caCertPem?: string | null;
}

/** The `sourceId` declared in plugin.json `contributes.mailSources`. */
export const IMAP_MAIL_SOURCE_ID = 'oauth2-mail.imap';

/** The scheduled task id declared in plugin.json `contributes.scheduledTasks`. */
export const FETCH_TASK_ID = 'oauth2-mail.fetch';
