/** The page the admin sees when the provider sends the browser back (success, or what went wrong and how to fix it). */
import { ERROR_CODES, toPluginError, type PluginErrorCode } from '../errors';
import type { HostResponse } from '../ports/host';
import type { ConnectResult } from './authorization-service';
import { html, type SafeHtml } from '../../lib/html';

function delegateNote(result: ConnectResult): SafeHtml {
  if (!result.delegate) return html``;
  const mailbox = html`<strong>${result.mailbox}</strong>`;
  return html`<p>The mailbox opened with this sign-in, so it is used as a delegate for ${mailbox}.</p>`;
}

/**
 * The page after a successful Connect.
 * @param result - what Connect produced
 * @param accountsPath - where the admin goes next (the plugin's account screen)
 */
export function connectedPage(result: ConnectResult, accountsPath: string): HostResponse {
  const page = html`<section class="oauth2-mail-callback ok">
<h1>Mailbox connected</h1>
<p>${result.message}</p>
${delegateNote(result)}
<p><a href="${accountsPath}">Back to the mail accounts</a></p>
</section>`;
  return { kind: 'page', status: 200, title: 'Mailbox connected', html: page.value };
}

/** The HTTP status of a failed callback: 500 for our own trouble, 502 for the provider's, else 400. */
function failedStatus(code: PluginErrorCode): number {
  if (code === 'ERR_INTERNAL' || code === 'ERR_DATABASE_UNAVAILABLE') return 500;
  if (code === 'ERR_PROVIDER_UNAVAILABLE' || code === 'ERR_PROVIDER_TLS') return 502;
  return 400;
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
  const page = html`<section class="oauth2-mail-callback failed">
<h1>The mailbox was not connected</h1>
<p><strong>${info.message}</strong></p>
${detail !== info.message ? html`<p>${detail}</p>` : ''}
<p>What to do: ${info.fix}</p>
<p class="code">Error code: <code>${error.code}</code></p>
<p><a href="${accountsPath}">Back to the mail accounts</a></p>
</section>`;
  return { kind: 'page', status: failedStatus(error.code), title: 'Mailbox not connected', html: page.value };
}
