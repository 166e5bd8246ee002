/**
 * The page of a running "Connect with a code" (device flow): where to go and which code to enter, how long it is
 * valid, and the outcome. No JavaScript: the page reloads itself every few seconds (a meta refresh, a plain GET
 * that only reads the sign-in's state; the polling happens in the plugin).
 */
import { ERROR_CODES } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { DeviceSignInView } from '../oauth/device-sign-in-service';
import { ROUTE_PATHS, type AdminPaths } from './admin-paths';
import { formatTime } from './formatting';
import { postButton } from './form-widgets';
import { html, type SafeHtml } from '../../lib/html';

/** How often the page reloads while the sign-in runs (seconds). */
const RELOAD_SECONDS = 5;

/** Everything the page shows. */
export interface DeviceSignInPageInput {
  readonly account: MailAccount;
  readonly signIn: DeviceSignInView;
  readonly paths: AdminPaths;
  readonly csrfToken: string | undefined;
  readonly now: number;
}

function pendingBox({ account, signIn, now, paths }: DeviceSignInPageInput): SafeHtml {
  const who = account.sharedViaDelegate ? 'a user with full access to this mailbox' : `the mailbox ${account.mailbox}`;
  const self = paths.to(ROUTE_PATHS.accountDevice(account.id));
  return html`<meta http-equiv="refresh" content="${RELOAD_SECONDS}">
<section class="box" id="device-sign-in" data-state="pending">
<h2>Sign in on any device</h2>
<ol>
<li>Open <a id="verification-uri" href="${signIn.verificationUri}" target="_blank" rel="noopener noreferrer">\\
${signIn.verificationUri}</a> (on this or another device).</li>
<li>Enter the code <strong class="user-code" id="user-code">${signIn.userCode}</strong></li>
<li>Sign in as ${who} and accept the permissions.</li>
</ol>
<p class="muted">The code is valid until ${formatTime(signIn.expiresAt, now)}. The plugin asks the provider every \\
${signIn.intervalSeconds} s; this page reloads by itself (<a href="${self}">check now</a>). Nothing is stored before \\
the sign-in is checked like Connect's.</p>
</section>`;
}

function failedBox({ account, signIn, paths, csrfToken }: DeviceSignInPageInput): SafeHtml {
  const code = signIn.error?.code ?? 'ERR_INTERNAL';
  const again = postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'connect-device')), 'Start again', {
    csrfToken,
    kind: 'primary',
    id: 'device-again',
  });
  return html`<section class="box" id="device-sign-in" data-state="failed" data-code="${code}">
<h2>The sign-in did not complete</h2>
<div class="problem"><strong>${ERROR_CODES[code].message}</strong><br><span class="detail">\\
${signIn.error?.message ?? ''}</span><br><span class="fix">What to do: ${ERROR_CODES[code].fix}</span></div>
<p class="actions">${again}</p>
</section>`;
}

/** The page body. */
export function deviceSignInBody(input: DeviceSignInPageInput): SafeHtml {
  const back = input.paths.to(ROUTE_PATHS.account(input.account.id));
  return html`${input.signIn.state === 'failed' ? failedBox(input) : pendingBox(input)}
<p><a href="${back}">Back to ${input.account.mailbox}</a></p>`;
}
