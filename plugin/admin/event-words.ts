/**
 * The account history in words: what each kind of event is called on the screen, and the status changes the
 * services record as `Status retrying -> connected` said as the badges say them.
 */
import type { AccountStatus } from '../ports/account-repository';
import type { EventType, PluginEvent } from '../ports/event-log';
import { STATUS_BADGES } from './status-badge';

/** The "What" column per kind of event. */
export const EVENT_LABELS: Readonly<Record<EventType, string>> = {
  app_created: 'App registration added',
  app_updated: 'App registration changed',
  app_removed: 'App registration deleted',
  account_created: 'Mail account added',
  account_updated: 'Settings changed',
  account_removed: 'Mail account deleted',
  connect_started: 'Connect started',
  token_obtained: 'Connected',
  token_refreshed: 'Token renewed',
  token_rotated: 'Token renewed (new refresh token)',
  token_revoked: 'Token revoked',
  disconnected: 'Disconnected',
  auth_failed: 'Sign-in failed',
  status_changed: 'Status changed',
  poll_failed: 'Fetching failed',
  messages_fetched: 'Mail fetched',
  message_quarantined: 'Message set aside',
  message_skipped: 'Message skipped',
  keep_alive: 'Token kept alive',
  mail_sent: 'Reply sent',
  send_failed: 'Reply not sent',
};

const STATUS_CHANGE = /^Status ([a-z_]+) -> ([a-z_]+)(?:[:.]\s*)?([\s\S]*)$/;

function statusWords(status: string): string {
  return STATUS_BADGES[status as AccountStatus]?.label ?? status.replace(/_/g, ' ');
}

/**
 * An event's kind and details as the history shows them.
 * @param event - as recorded
 */
export function eventWords(event: Pick<PluginEvent, 'type' | 'message'>): {
  readonly what: string;
  readonly details: string;
} {
  const what = EVENT_LABELS[event.type] ?? event.type.replace(/_/g, ' ');
  const change = event.type === 'status_changed' ? STATUS_CHANGE.exec(event.message) : null;
  if (!change) return { what, details: event.message };
  const [, from, to, rest] = change;
  const words = `Now ${statusWords(to!)} (was ${statusWords(from!)})`;
  return { what, details: rest && rest.trim().length > 0 ? `${words}: ${rest.trim()}` : `${words}.` };
}
