/** The page of a callback that names no known sign-in: what went wrong and how to start again. */
import { ERROR_CODES, toPluginError, type PluginErrorCode } from '../errors';
import type { HostResponse } from '../ports/host';
import { html } from '../../lib/html';

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
<p><strong>${info.message}</strong></p>
${detail !== info.message ? html`<p>${detail}</p>` : ''}
<p>What to do: ${info.fix}</p>
<p class="code">Error code: <code>${error.code}</code></p>
<p><a href="${accountsPath}">Back to the mail accounts</a></p>
</section>`;
  return { kind: 'page', status: failedStatus(error.code), title: 'Mailbox not connected', html: page.value };
}
