/** The page the admin sees when the provider sends the browser back (success, or what went wrong and how to fix it). */
import escapeHtml from 'escape-html';
import { ERROR_CODES, toPluginError } from '../errors';
import type { HostResponse } from '../ports/host';
import type { ConnectResult } from './authorization-service';

/**
 * The page after a successful Connect.
 * @param result - what Connect produced
 * @param accountsPath - where the admin goes next (the plugin's account screen)
 */
export function connectedPage(result: ConnectResult, accountsPath: string): HostResponse {
  const html = `<section class="oauth2-mail-callback ok">
<h1>Mailbox connected</h1>
<p>${escapeHtml(result.message)}</p>
${result.delegate ? `<p>The mailbox opened with this sign-in, so it is used as a delegate for <strong>${escapeHtml(result.mailbox)}</strong>.</p>` : ''}
<p><a href="${escapeHtml(accountsPath)}">Back to the mail accounts</a></p>
</section>`;
  return { kind: 'page', status: 200, title: 'Mailbox connected', html };
}

/**
 * The page after a failed Connect: what happened, the fix, and a way back. Never a stack trace or a secret.
 * @param thrown - what the callback threw
 * @param accountsPath - where the admin starts again
 */
export function connectFailedPage(thrown: unknown, accountsPath: string): HostResponse {
  const error = toPluginError(thrown);
  const info = ERROR_CODES[error.code];
  const detail = error.code === 'ERR_INTERNAL' ? info.message : error.message;
  const status =
    error.code === 'ERR_INTERNAL' || error.code === 'ERR_DATABASE_UNAVAILABLE'
      ? 500
      : error.code === 'ERR_PROVIDER_UNAVAILABLE'
        ? 502
        : 400;
  const html = `<section class="oauth2-mail-callback failed">
<h1>The mailbox was not connected</h1>
<p><strong>${escapeHtml(info.message)}</strong></p>
${detail !== info.message ? `<p>${escapeHtml(detail)}</p>` : ''}
<p>What to do: ${escapeHtml(info.fix)}</p>
<p class="code">Error code: <code>${escapeHtml(error.code)}</code></p>
<p><a href="${escapeHtml(accountsPath)}">Back to the mail accounts</a></p>
</section>`;
  return { kind: 'page', status, title: 'Mailbox not connected', html };
}
