/**
 * Admin notifications of the polling cycle: one per incident (docs/architecture.md#failure-semantics), closed when
 * the cause goes away.
 * An incident key is stable for as long as the same problem lasts, so the host keeps one open notification.
 */
import { ERROR_CODES, type PluginErrorCode } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { Notification } from '../ports/host';
import type { MessageLocation } from '../ports/mail-ledger';
import { ROUTE_PATHS } from '../admin/admin-paths';
import { accountIncidentKey } from '../oauth/account-incidents';

/** The incident key of one message (quarantined or skipped); one notification per message, ever. */
export function messageIncidentKey(
  accountId: string,
  kind: 'quarantined' | 'skipped',
  location: Pick<MessageLocation, 'folder' | 'uidValidity' | 'uid' | 'uidl'>,
): string {
  const where = `${location.folder}:${location.uidValidity}:${location.uid}`;
  return `oauth2-mail:message:${accountId}:${kind}:${where}${location.uidl ? `:${location.uidl}` : ''}`;
}

/** The incident key of refused post-fetch actions on an account. */
export function postActionIncidentKey(accountId: string): string {
  return `oauth2-mail:account:${accountId}:post-fetch-action`;
}

/**
 * The notification for an account whose poll fails with `code`.
 * @param account - the account
 * @param code - the error code
 * @param detail - secret-free words on what exactly happened
 */
export function accountFailureNotification(account: MailAccount, code: PluginErrorCode, detail: string): Notification {
  const info = ERROR_CODES[code];
  return {
    key: accountIncidentKey(account.id, code),
    severity: info.retryable ? 'warning' : 'error',
    title: `Mail account ${account.mailbox}: ${info.message}`,
    message: `${detail} What to do: ${info.fix}`,
    path: ROUTE_PATHS.accounts,
  };
}
