/** The account status badge: the six states an admin must tell apart at a glance. */
import type { AccountStatus, MailAccount } from '../ports/account-repository';
import { html, type SafeHtml } from '../../lib/html';

/** What the badge shows for one status. */
export interface BadgeInfo {
  readonly label: string;
  /** CSS class suffix (colour). */
  readonly tone: 'ok' | 'warn' | 'error' | 'muted';
}

/** Label and colour per status. */
export const STATUS_BADGES: Readonly<Record<AccountStatus, BadgeInfo>> = {
  connected: { label: 'connected', tone: 'ok' },
  needs_reauth: { label: 'needs re-authorization', tone: 'error' },
  app_error: { label: 'app error', tone: 'error' },
  retrying: { label: 'retrying', tone: 'warn' },
  disabled: { label: 'disabled', tone: 'muted' },
  not_connected: { label: 'not connected', tone: 'muted' },
};

/** The status shown: a disabled account reads "disabled" whatever its token state. */
export function displayedStatus(account: Pick<MailAccount, 'status' | 'enabled'>): AccountStatus {
  return account.enabled ? account.status : 'disabled';
}

/** The badge of an account. */
export function statusBadge(account: Pick<MailAccount, 'status' | 'enabled'>): SafeHtml {
  const status = displayedStatus(account);
  const info = STATUS_BADGES[status] ?? { label: status, tone: 'muted' };
  return html`<span class="badge ${info.tone}" data-status="${status}">${info.label}</span>`;
}
