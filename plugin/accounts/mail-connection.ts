/** Where and as whom a mail account's sessions connect, the same for polling, Connect's proof and Test connection. */
import type { MailAccount } from '../ports/account-repository';
import type { MailConnectionOptions } from '../ports/mail-fetcher';

/** What the caller decides besides the account: the extra CA and how long to wait. */
export interface MailConnectionLimits {
  readonly caCertPem?: string | null | undefined;
  readonly timeoutMs: number;
  readonly commandTimeoutMs?: number;
}

/**
 * The connection options for `account` with `accessToken` (the SASL user is the mailbox, also for a delegate).
 * @param limits - the extra CA and the timeouts
 */
export function mailConnectionOf(
  account: MailAccount,
  accessToken: string,
  limits: MailConnectionLimits,
): MailConnectionOptions {
  return {
    host: account.host,
    port: account.port,
    tls: account.tls,
    user: account.mailbox,
    accessToken,
    caCertPem: limits.caCertPem ?? null,
    timeoutMs: limits.timeoutMs,
    ...(limits.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: limits.commandTimeoutMs }),
  };
}
