/**
 * The account status badge: the six states an admin must tell apart at a glance, and, instead of "connected" while
 * a poll lease is held, what is going on (polling here, or waiting for another process).
 */
import type { AccountStatus, MailAccount } from '../ports/account-repository';
import { accountActivity, type AccountActivity, type AccountActivityInfo } from '../accounts/account-activity';
import { html, optionalAttribute, type SafeHtml } from '../../lib/html';

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

/** Label and colour of a connected account while a poll lease is held. */
export const ACTIVITY_BADGES: Readonly<Record<AccountActivity, BadgeInfo>> = {
  polling: { label: 'polling', tone: 'ok' },
  waiting_for_other_process: { label: 'waiting for another process', tone: 'muted' },
};

/** The status shown: a disabled account reads "disabled" whatever its token state. */
export function displayedStatus(account: Pick<MailAccount, 'status' | 'enabled'>): AccountStatus {
  return account.enabled ? account.status : 'disabled';
}

/** The live lease of a connected, enabled account (what replaces "connected"), or null. */
export function shownActivity(
  account: Pick<MailAccount, 'status' | 'enabled' | 'lease'>,
  now: number,
): AccountActivityInfo | null {
  return displayedStatus(account) === 'connected' ? accountActivity(account, now) : null;
}

/**
 * The badge of an account.
 * @param now - epoch ms, to tell a live poll lease from a lapsed one
 */
export function statusBadge(account: Pick<MailAccount, 'status' | 'enabled' | 'lease'>, now: number): SafeHtml {
  const status = displayedStatus(account);
  const activity = shownActivity(account, now)?.activity;
  const info = (activity ? ACTIVITY_BADGES[activity] : STATUS_BADGES[status]) ?? { label: status, tone: 'muted' };
  const activityAttribute = optionalAttribute('data-activity', activity);
  return html`<span class="badge ${info.tone}" data-status="${status}"${activityAttribute}>${info.label}</span>`;
}
