/**
 * The mail account pages: the main screen (accounts with their status, last poll, messages fetched and last error
 * with its fix; the app registrations below) and one account's page (facts, actions, connection test, history).
 * Connect / Re-authorize is offered whatever the token state, so a dead token never hides the way out.
 */
import { ERROR_CODES, type PluginErrorCode } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';
import type { PluginEvent } from '../ports/event-log';
import { ROUTE_PATHS, type AdminPaths } from './admin-paths';
import { appListSection, PROVIDER_LABELS, secretExpiryNote } from './app-pages';
import type { ConnectionTestResult } from './connection-test';
import { formatTime } from './formatting';
import { postButton } from './form-widgets';
import { html, type SafeHtml } from '../../lib/html';
import type { Notice } from './notices';
import { displayedStatus, statusBadge } from './status-badge';

/** The error-table row of an account's status code, when it has a known one. */
function problemOf(
  account: MailAccount,
): { readonly code: PluginErrorCode; readonly message: string; readonly fix: string } | null {
  const code = account.statusCode;
  if (!code || !Object.prototype.hasOwnProperty.call(ERROR_CODES, code)) return null;
  const info = ERROR_CODES[code as PluginErrorCode];
  return { code: code as PluginErrorCode, message: info.message, fix: info.fix };
}

/** True when the account has (or had) a grant: the button then reads Re-authorize. */
function hasBeenConnected(account: MailAccount): boolean {
  return account.status !== 'not_connected';
}

/** "signed in as X for mailbox Y" (delegate), "signed in as X", or nothing. */
export function identityLine(account: MailAccount): SafeHtml {
  const who = account.authorizedIdentity;
  if (!who || account.status === 'not_connected') return html``;
  if (who.trim().toLowerCase() === account.mailbox.trim().toLowerCase())
    return html`<span class="identity">signed in as ${who}</span>`;
  return html`<span class="identity delegate">signed in as <strong>${who}</strong> for mailbox <strong>${account.mailbox}</strong></span>`;
}

/** The last error in words with its fix, or the status detail when all is well. */
function statusText(account: MailAccount, compact: boolean): SafeHtml {
  const problem = problemOf(account);
  if (!problem) {
    if (account.status === 'not_connected')
      return html`<span class="muted">Not connected yet: click Connect and sign in${account.sharedViaDelegate ? ' as a user with full access to this mailbox' : ' as the mailbox'}.</span>`;
    return account.statusDetail && account.status !== 'connected' ? html`<span>${account.statusDetail}</span>` : html``;
  }
  return html`<div class="problem" data-code="${problem.code}"><strong>${problem.message}</strong>${account.statusDetail && account.statusDetail !== problem.message ? html`<br><span class="detail">${compact && account.statusDetail.length > 240 ? `${account.statusDetail.slice(0, 240)}…` : account.statusDetail}</span>` : ''}<br><span class="fix">What to do: ${problem.fix}</span></div>`;
}

function connectButton(account: MailAccount, paths: AdminPaths, csrfToken: string | undefined): SafeHtml {
  const reauth = hasBeenConnected(account);
  const needsIt =
    account.status === 'needs_reauth' || account.status === 'not_connected' || account.status === 'app_error';
  return postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'connect')), reauth ? 'Re-authorize' : 'Connect', {
    csrfToken,
    kind: needsIt ? 'primary' : '',
    id: `connect-${account.id}`,
  });
}

function noticeBox(notice: Notice | null): SafeHtml {
  if (!notice) return html``;
  return html`<div class="notice ${notice.tone}" id="notice" role="${notice.tone === 'error' ? 'alert' : 'status'}">${notice.text}${notice.fix ? html`<br>What to do: ${notice.fix}` : ''}</div>`;
}

/** Everything the main screen shows. */
export interface AccountListInput {
  readonly accounts: readonly MailAccount[];
  readonly apps: readonly AppRegistration[];
  readonly paths: AdminPaths;
  readonly csrfToken: string | undefined;
  readonly now: number;
  readonly notice: Notice | null;
}

/** The main screen: mail accounts, then app registrations. */
export function accountListBody(input: AccountListInput): SafeHtml {
  const { accounts, apps, paths, csrfToken, now } = input;
  const appsById = new Map(apps.map((app) => [app.id, app]));
  const counts = new Map<string, number>();
  for (const account of accounts) counts.set(account.appId, (counts.get(account.appId) ?? 0) + 1);
  const expiring = apps
    .map((app) => ({ app, note: secretExpiryNote(app, now) }))
    .filter((entry) => entry.note && entry.note.tone !== 'ok');
  return html`${noticeBox(input.notice)}
${expiring.map(({ app, note }) => html`<div class="notice error secret-expiry">App registration <a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a>: ${note!.text}. Every mailbox of this app stops when it lapses.</div>`)}
<section id="accounts-section"><h2>Mail accounts</h2>
${
  accounts.length === 0
    ? html`<p id="no-accounts">No mail account yet.${apps.length === 0 ? ' Start with an app registration below, then add the mailbox.' : ''}</p>`
    : html`<table id="account-list"><thead><tr><th>Mailbox</th><th>Status</th><th>Last poll</th><th>Fetched</th><th>Problem and fix</th><th>Actions</th></tr></thead><tbody>
${accounts.map((account) => {
  const app = appsById.get(account.appId);
  return html`<tr data-account-id="${account.id}" data-status="${displayedStatus(account)}"><td><a class="mailbox" href="${paths.to(ROUTE_PATHS.account(account.id))}">${account.mailbox}</a><br><small class="muted">${app ? app.name : 'missing app registration'} · ${account.host}:${account.port}/${account.folder}</small>${account.authorizedIdentity && account.status !== 'not_connected' ? html`<br><small>${identityLine(account)}</small>` : ''}</td>
<td>${statusBadge(account)}</td><td>${formatTime(account.lastPollAt, now)}</td><td class="fetched">${account.messagesFetched}</td><td>${statusText(account, true)}</td>
<td>${connectButton(account, paths, csrfToken)}${account.status !== 'not_connected' && account.enabled ? postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'fetch')), 'Fetch now', { csrfToken, id: `fetch-${account.id}` }) : ''}</td></tr>`;
})}
</tbody></table>`
}
<p class="actions">${apps.length > 0 ? html`<a class="button primary" id="add-account" href="${paths.to(ROUTE_PATHS.accountNew)}">Add mail account</a>` : ''}</p>
</section>
${appListSection(apps, counts, paths, now)}`;
}

/** Everything one account's page shows. */
export interface AccountDetailInput {
  readonly account: MailAccount;
  readonly app: AppRegistration | null;
  readonly events: readonly PluginEvent[];
  readonly paths: AdminPaths;
  readonly csrfToken: string | undefined;
  readonly now: number;
  readonly notice: Notice | null;
  readonly testResult?: ConnectionTestResult;
}

function testResultBox(result: ConnectionTestResult): SafeHtml {
  return html`<section class="box" id="connection-test" data-ok="${result.ok ? 'true' : 'false'}"><h2>Connection test: ${result.ok ? 'everything works' : 'a step failed'}</h2>
<ol class="steps">${result.steps.map((step) => html`<li class="step-${step.outcome}" data-step="${step.step}" data-outcome="${step.outcome}"><strong>${step.outcome === 'ok' ? '✓' : step.outcome === 'failed' ? '✗' : '–'} ${step.title}:</strong> ${step.detail}${step.error ? html`<br><span class="fix">${step.error.message} What to do: ${step.error.fix}</span>` : ''}</li>`)}</ol>
</section>`;
}

function postFetchWords(action: string): string {
  if (action === 'mark_seen') return 'mark as read';
  if (action === 'keep') return 'leave as it is';
  if (action === 'delete') return 'delete';
  return `move to "${action.slice('move:'.length)}"`;
}

/** One account's page. */
export function accountDetailBody(input: AccountDetailInput): SafeHtml {
  const { account, app, paths, csrfToken, now } = input;
  const connected = account.status !== 'not_connected';
  const initialSync =
    account.initialSync === 'all'
      ? 'all messages'
      : account.initialSync === 'new_only'
        ? 'only new messages'
        : 'unread messages';
  return html`${noticeBox(input.notice)}
<section class="box" id="account-status" data-status="${displayedStatus(account)}">
<p>${statusBadge(account)} ${identityLine(account)}</p>
${statusText(account, false)}
${account.status === 'connected' && account.statusDetail && !account.authorizedIdentity ? html`<p class="muted">${account.statusDetail}</p>` : ''}
<div class="actions">
${connectButton(account, paths, csrfToken)}
${postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'test')), 'Test connection', { csrfToken, id: 'test-connection' })}
${connected && account.enabled ? postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'fetch')), 'Fetch now', { csrfToken, id: 'fetch-now' }) : ''}
${connected ? postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'disconnect')), 'Disconnect', { csrfToken, kind: 'danger', id: 'disconnect' }) : ''}
<a class="button" href="${paths.to(ROUTE_PATHS.accountEdit(account.id))}" id="edit-account">Edit settings</a>
</div>
</section>
${input.testResult ? testResultBox(input.testResult) : ''}
<section class="box" id="account-facts"><h2>Settings</h2><dl class="facts">
<dt>Mailbox</dt><dd>${account.mailbox}${account.sharedViaDelegate ? html` <span class="muted">(shared mailbox, reached through a delegate's sign-in)</span>` : ''}</dd>
<dt>App registration</dt><dd>${app ? html`<a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a> <span class="muted">${PROVIDER_LABELS[app.provider]}</span>` : html`<span class="error-text">missing</span>`}</dd>
<dt>Server</dt><dd>${account.protocol.toUpperCase()} ${account.host}:${account.port}, ${account.tls === 'implicit' ? 'TLS' : account.tls === 'starttls' ? 'STARTTLS' : 'no TLS (loopback only)'}</dd>
<dt>Folder</dt><dd>${account.folder}; first fetch: ${initialSync}; afterwards: ${postFetchWords(account.postFetch)}</dd>
<dt>Checked every</dt><dd>${account.pollIntervalSeconds} s${account.enabled ? '' : ' (fetching disabled)'}</dd>
<dt>Last poll</dt><dd>${formatTime(account.lastPollAt, now)}</dd>
<dt>Last success</dt><dd>${formatTime(account.lastSuccessAt, now)}</dd>
<dt>Next poll</dt><dd>${account.enabled && connected ? formatTime(account.nextPollAt, now) : 'not scheduled'}</dd>
<dt>Messages fetched</dt><dd id="messages-fetched">${account.messagesFetched}</dd>
</dl></section>
<section id="history"><h2>History</h2>
${
  input.events.length === 0
    ? html`<p class="muted">Nothing happened yet.</p>`
    : html`<table class="events" id="event-list"><thead><tr><th>When</th><th>What</th><th>Details</th></tr></thead><tbody>
${input.events.map((event) => html`<tr data-type="${event.type}"><td>${formatTime(event.at, now)}</td><td>${event.type.replace(/_/g, ' ')}${event.code ? html`<br><code>${event.code}</code>` : ''}</td><td>${event.message}</td></tr>`)}
</tbody></table>`
}
</section>
<details class="box danger-zone"><summary>Delete this mail account</summary>
<p>Deleting disconnects the mailbox (the tokens are deleted) and removes its settings; tickets already created stay.</p>
${postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'delete')), 'Delete mail account', { csrfToken, kind: 'danger', confirm: 'Yes, delete it', id: 'delete-account' })}
</details>
<p><a href="${paths.to(ROUTE_PATHS.accounts)}">Back to the mail accounts</a></p>`;
}
