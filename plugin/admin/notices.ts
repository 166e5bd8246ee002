/**
 * One-line results of an action, carried across the redirect after a POST as `?notice=<key>` plus a few numbers
 * or an error code. Only known keys, digits and codes from the error table are read back, so the query string can
 * never inject text into the page.
 */
import { ERROR_CODES, type PluginErrorCode } from '../errors';
import { plural } from './formatting';

/** What a notice says, and how loud. */
export interface Notice {
  readonly tone: 'ok' | 'info' | 'error';
  readonly text: string;
  /** The fix, for error notices. */
  readonly fix?: string;
}

/** Refusals after which the admin signs in again, maybe as someone else than the provider remembers. */
const SIGN_IN_AGAIN_CODES: ReadonlySet<PluginErrorCode> = new Set([
  'ERR_IDENTITY_MISMATCH',
  'ERR_AUTHORIZATION_DENIED',
  'ERR_STATE_OTHER_ADMIN',
]);

/**
 * How to get rid of a remembered identity at the provider. Connect already asks the provider to let the admin
 * choose (prompt=select_account), but a provider may still pick the signed-in account.
 */
export const WRONG_IDENTITY_HINT =
  'Connect asks the provider which account to use; if the wrong identity keeps coming back, sign out at the ' +
  'provider in this browser first (Microsoft: https://login.microsoftonline.com/logout.srf, Google: ' +
  'https://accounts.google.com/Logout) or use a private window, then click Connect again.';

/** The notices an action can leave. */
export type NoticeKey =
  | 'app_created'
  | 'app_updated'
  | 'app_deleted'
  | 'account_created'
  | 'account_updated'
  | 'account_deleted'
  | 'connected'
  | 'connect_failed'
  | 'connect_link_used'
  | 'disconnected'
  | 'disconnected_unrevoked'
  | 'fetched'
  | 'fetch_busy'
  | 'fetch_failed'
  | 'action_failed';

/** Query parameters of a notice (numbers as digits, `code` an error code). */
export type NoticeParams = Partial<Record<'fetched' | 'duplicates' | 'skipped' | 'failed' | 'code', string | number>>;

/**
 * The query string for a notice, e.g. `?notice=fetched&fetched=3`.
 * @param key - which notice
 * @param params - its numbers / code
 */
export function noticeQuery(key: NoticeKey, params: NoticeParams = {}): string {
  const search = new URLSearchParams({ notice: key });
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, String(value));
  return `?${search.toString()}`;
}

function count(query: Readonly<Record<string, string>>, name: string): number {
  const value = query[name];
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : 0;
}

function codeOf(query: Readonly<Record<string, string>>): PluginErrorCode | null {
  const code = query.code;
  return code !== undefined && Object.prototype.hasOwnProperty.call(ERROR_CODES, code)
    ? (code as PluginErrorCode)
    : null;
}

/**
 * Reads the notice of a request's query string.
 * @param query - the request's query
 * @returns null when there is none (or an unknown key)
 */
export function readNotice(query: Readonly<Record<string, string>>): Notice | null {
  const key = query.notice as NoticeKey | undefined;
  switch (key) {
    case 'app_created':
      return { tone: 'ok', text: 'App registration saved. Now add a mail account that uses it.' };
    case 'app_updated':
      return { tone: 'ok', text: 'App registration updated.' };
    case 'app_deleted':
      return { tone: 'ok', text: 'App registration deleted.' };
    case 'account_created':
      return { tone: 'ok', text: 'Mail account saved. Click Connect and sign in as the mailbox.' };
    case 'account_updated':
      return { tone: 'ok', text: 'Mail account updated.' };
    case 'account_deleted':
      return { tone: 'ok', text: 'Mail account deleted; its tokens were removed.' };
    case 'connected':
      return { tone: 'ok', text: 'Connected: the mailbox opened with the new token, which is stored.' };
    case 'connect_failed': {
      const code = codeOf(query) ?? 'ERR_INTERNAL';
      const hint = SIGN_IN_AGAIN_CODES.has(code) ? ` ${WRONG_IDENTITY_HINT}` : '';
      return {
        tone: 'error',
        text: `Connect failed: ${ERROR_CODES[code].message}`,
        fix: `${ERROR_CODES[code].fix}${hint}`,
      };
    }
    case 'connect_link_used':
      return {
        tone: 'info',
        text: 'That sign-in link was already used (the page was reloaded or opened again): the state is shown below.',
      };
    case 'disconnected':
      return {
        tone: 'ok',
        text: 'Disconnected: the stored tokens were deleted (and revoked where the provider supports it).',
      };
    case 'disconnected_unrevoked':
      return {
        tone: 'info',
        text: 'Disconnected: the stored tokens were deleted, but the provider did not confirm the revocation.',
        fix: ERROR_CODES.ERR_REVOCATION_FAILED.fix,
      };
    case 'fetched': {
      const parts = [`${plural(count(query, 'fetched'), 'new message')} fetched`];
      if (count(query, 'duplicates') > 0) parts.push(`${plural(count(query, 'duplicates'), 'duplicate')} ignored`);
      if (count(query, 'skipped') > 0) parts.push(`${count(query, 'skipped')} left on the server (too large)`);
      if (count(query, 'failed') > 0)
        parts.push(`${count(query, 'failed')} refused by the helpdesk (retried next cycle)`);
      return { tone: count(query, 'failed') > 0 ? 'info' : 'ok', text: `Fetch now: ${parts.join(', ')}.` };
    }
    case 'fetch_busy':
      return {
        tone: 'info',
        text: 'Fetch now: this mailbox is being fetched right now by another process; try again in a moment.',
      };
    case 'fetch_failed':
    case 'action_failed': {
      const code = codeOf(query);
      const info = code ? ERROR_CODES[code] : ERROR_CODES.ERR_INTERNAL;
      return {
        tone: 'error',
        text: `${key === 'fetch_failed' ? 'Fetch now failed' : 'The action failed'}: ${info.message}`,
        fix: info.fix,
      };
    }
    default:
      return null;
  }
}
