/**
 * The mail account pages: the main screen (accounts with their status, last poll, messages fetched and last error
 * with its fix; the app registrations below) and one account's page (facts, actions, connection test, history).
 * Connect / Re-authorize is offered whatever the token state, so a dead token never hides the way out.
 */
import { ERROR_CODES, type PluginErrorCode } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';
import type { PluginEvent } from '../ports/event-log';
import { AUTH_MODE_LABELS } from '../oauth/auth-modes';
import { appTokenScope } from '../oauth/scopes';
import { expiringCredential, warningStage } from '../oauth/secret-expiry';
import { ROUTE_PATHS, type AccountAction, type AdminPaths } from './admin-paths';
import {
  appListSection,
  CREDENTIAL_LABELS,
  PROVIDER_LABELS,
  secretExpiryNote,
  type SecretExpiryNote,
} from './app-pages';
import type { ConnectionTestResult, ConnectionTestStep } from './connection-test';
import { formatDate, formatTime } from './formatting';
import { postButton } from './form-widgets';
import { html, optionalAttribute, tableHead, type SafeHtml } from '../../lib/html';
import type { Notice } from './notices';
import { leaseHolderWords } from '../accounts/account-activity';
import { displayedStatus, shownActivity, statusBadge } from './status-badge';
import { eventWords } from './event-words';

/** An account's status code with its error-table words. */
interface Problem {
  readonly code: PluginErrorCode;
  readonly message: string;
  readonly fix: string;
}

/** The error-table row of an account's status code, when it has a known one. */
function problemOf(account: MailAccount): Problem | null {
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
  const words = html`signed in as <strong>${who}</strong> for mailbox <strong>${account.mailbox}</strong>`;
  return html`<span class="identity delegate">${words}</span>`;
}

/** How much of a status detail the main screen's table shows. */
const COMPACT_DETAIL_LENGTH = 240;

function problemDetail(account: MailAccount, problem: Problem, compact: boolean): SafeHtml {
  const detail = account.statusDetail;
  if (!detail || detail === problem.message) return html``;
  const shown =
    compact && detail.length > COMPACT_DETAIL_LENGTH ? `${detail.slice(0, COMPACT_DETAIL_LENGTH)}…` : detail;
  return html`<br><span class="detail">${shown}</span>`;
}

function problemBox(account: MailAccount, problem: Problem, compact: boolean): SafeHtml {
  const detail = problemDetail(account, problem, compact);
  return html`<div class="problem" data-code="${problem.code}">
<strong>${problem.message}</strong>${detail}<br><span class="fix">What to do: ${problem.fix}</span>
</div>`;
}

function notConnectedHint(account: MailAccount): SafeHtml {
  if (account.authMode !== 'delegated')
    return html`<span class="muted">Not connected yet: click Connect (nobody signs in: the app's own token must open \
the mailbox).</span>`;
  const as = account.sharedViaDelegate ? 'as a user with full access to this mailbox' : 'as the mailbox';
  return html`<span class="muted">Not connected yet: click Connect and sign in ${as}.</span>`;
}

/** Who polls a connected account right now, while its poll lease is held; nothing otherwise. */
function activityText(account: MailAccount, now: number): SafeHtml {
  const live = shownActivity(account, now);
  if (!live) return html``;
  const until = formatTime(live.until, now);
  const holder = leaseHolderWords(live.owner);
  let words: string;
  if (live.activity === 'polling') words = `Polling now (the poll lease runs until ${until}).`;
  else if (live.ownerGone)
    words = `The process that was polling it (${holder}) is gone; the next cycle takes its poll lease over.`;
  else
    words =
      `Another host process (${holder}) holds the poll lease until ${until}; ` +
      'it is fetching there, or the lease lapses and this mailbox is polled again.';
  return html`<span class="activity" data-activity="${live.activity}">${words}</span>`;
}

/** The last error in words with its fix, or what is going on when all is well. */
function statusText(account: MailAccount, compact: boolean, now: number): SafeHtml {
  const problem = problemOf(account);
  if (problem) return problemBox(account, problem, compact);
  // After Disconnect the status says who did it and when, not "Not connected yet".
  if (account.status === 'not_connected' && account.statusDetail?.startsWith('Disconnected'))
    return html`<span class="disconnected-detail">${account.statusDetail}</span>`;
  if (account.status === 'not_connected') return notConnectedHint(account);
  if (account.status === 'connected') return activityText(account, now);
  if (!account.statusDetail) return html``;
  return html`<span>${account.statusDetail}</span>`;
}

/** `data-activity` of a row or box while the account's poll lease is held. */
function activityAttribute(account: MailAccount, now: number): SafeHtml {
  return optionalAttribute('data-activity', shownActivity(account, now)?.activity);
}

function connectButton(account: MailAccount, paths: AdminPaths, csrfToken: string | undefined): SafeHtml {
  const needsIt =
    account.status === 'needs_reauth' || account.status === 'not_connected' || account.status === 'app_error';
  const action = paths.to(ROUTE_PATHS.accountAction(account.id, 'connect'));
  const again = account.authMode === 'delegated' ? 'Re-authorize' : 'Connect again';
  return postButton(action, hasBeenConnected(account) ? again : 'Connect', {
    csrfToken,
    kind: needsIt ? 'primary' : '',
    id: `connect-${account.id}`,
  });
}

/** "Connect with a code" (device flow), for a person's sign-in where the provider cannot redirect back here. */
function connectWithCodeButton(account: MailAccount, paths: AdminPaths, csrfToken: string | undefined): SafeHtml {
  if (account.authMode !== 'delegated') return html``;
  return postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'connect-device')), 'Connect with a code', {
    csrfToken,
    id: 'connect-device',
  });
}

/** Why the account will stop (or has stopped): its app's client secret or certificate expires. */
function credentialExpiryLine(app: AppRegistration | null | undefined, now: number): SafeHtml {
  const credential = app ? expiringCredential(app) : null;
  if (!app || !credential) return html``;
  const stage = warningStage(credential.expiresAt, now);
  if (!stage) return html``;
  const when = formatDate(credential.expiresAt);
  const words =
    stage === 'expired'
      ? `Stopped on ${when}: the ${credential.kind} of app "${app.name}" has expired.`
      : `Stops on ${when}, when the ${credential.kind} of app "${app.name}" expires.`;
  return html`<p class="credential-expiry error-text" data-stage="${stage}">${words}</p>`;
}

/** "Fetch now", offered for a connected, enabled account only. */
function fetchNowButton(account: MailAccount, paths: AdminPaths, csrfToken: string | undefined, id: string): SafeHtml {
  if (account.status === 'not_connected' || !account.enabled) return html``;
  return postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'fetch')), 'Fetch now', { csrfToken, id });
}

function noticeBox(notice: Notice | null): SafeHtml {
  if (!notice) return html``;
  const role = notice.tone === 'error' ? 'alert' : 'status';
  const fix = notice.fix ? html`<br>What to do: ${notice.fix}` : '';
  return html`<div class="notice ${notice.tone}" id="notice" role="${role}">${notice.text}${fix}</div>`;
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

function secretExpiryNotice(app: AppRegistration, note: SecretExpiryNote, paths: AdminPaths): SafeHtml {
  const link = html`<a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a>`;
  return html`<div class="notice error secret-expiry">
App registration ${link}: ${note.text}. Every mailbox of this app stops when it lapses.
</div>`;
}

function secretExpiryNotices(apps: readonly AppRegistration[], paths: AdminPaths, now: number): SafeHtml[] {
  return apps.flatMap((app) => {
    const note = secretExpiryNote(app, now);
    return note && note.tone !== 'ok' ? [secretExpiryNotice(app, note, paths)] : [];
  });
}

function appIncidentNotice(app: AppRegistration, stopped: number, paths: AdminPaths): SafeHtml {
  const incident = app.incident!;
  const known = Object.prototype.hasOwnProperty.call(ERROR_CODES, incident.code);
  const info = known ? ERROR_CODES[incident.code as PluginErrorCode] : null;
  const link = html`<a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a>`;
  const fix = info ? html`<br>What to do: ${info.fix}` : '';
  const mailboxes = `${stopped} ${stopped === 1 ? 'mailbox' : 'mailboxes'}`;
  return html`<div class="notice error app-incident" data-app-id="${app.id}" data-code="${incident.code}">
The provider refuses app registration ${link}: ${info?.message ?? incident.code} ${incident.detail}
It stops ${mailboxes} until a token request of the app succeeds again.${fix}
</div>`;
}

/** One notice per app with an open incident, with how many of its mailboxes it stops. */
function appIncidentNotices(
  apps: readonly AppRegistration[],
  accounts: readonly MailAccount[],
  paths: AdminPaths,
): SafeHtml[] {
  return apps.flatMap((app) => {
    if (!app.incident) return [];
    const stopped = accounts.filter((a) => a.appId === app.id && a.status === 'app_error').length;
    return [appIncidentNotice(app, stopped, paths)];
  });
}

function mailboxCell(account: MailAccount, app: AppRegistration | undefined, paths: AdminPaths): SafeHtml {
  const href = paths.to(ROUTE_PATHS.account(account.id));
  const where = `${app ? app.name : 'missing app registration'} · ${account.host}:${account.port}${account.protocol === 'pop3' ? ' (POP3)' : `/${account.folder}`}`;
  const identity =
    account.authorizedIdentity && account.status !== 'not_connected'
      ? html`<br><small>${identityLine(account)}</small>`
      : '';
  const link = html`<a class="mailbox" href="${href}">${account.mailbox}</a>`;
  return html`${link}<br><small class="muted">${where}</small>${identity}`;
}

function accountRow(account: MailAccount, app: AppRegistration | undefined, input: AccountListInput): SafeHtml {
  const { paths, csrfToken, now } = input;
  const connect = connectButton(account, paths, csrfToken);
  const fetchNow = fetchNowButton(account, paths, csrfToken, `fetch-${account.id}`);
  const activity = activityAttribute(account, now);
  return html`<tr data-account-id="${account.id}" data-status="${displayedStatus(account)}"${activity}>
<td>${mailboxCell(account, app, paths)}</td>
<td>${statusBadge(account, now)}</td>
<td>${formatTime(account.lastPollAt, now)}</td>
<td class="fetched">${account.messagesFetched}</td>
<td>${statusText(account, true, now)}${credentialExpiryLine(app, now)}</td>
<td>${connect}${fetchNow}</td>
</tr>`;
}

const ACCOUNT_COLUMNS = ['Mailbox', 'Status', 'Last poll', 'Fetched', 'Problem and fix', 'Actions'];

function accountTable(rows: readonly SafeHtml[]): SafeHtml {
  return html`<table id="account-list">
${tableHead(ACCOUNT_COLUMNS)}
<tbody>
${rows}
</tbody>
</table>`;
}

function noAccounts(apps: readonly AppRegistration[]): SafeHtml {
  const next = apps.length === 0 ? ' Start with an app registration below, then add the mailbox.' : '';
  return html`<p id="no-accounts">No mail account yet.${next}</p>`;
}

function addAccountButton(apps: readonly AppRegistration[], paths: AdminPaths): SafeHtml {
  if (apps.length === 0) return html``;
  const href = paths.to(ROUTE_PATHS.accountNew);
  return html`<a class="button primary" id="add-account" href="${href}">Add mail account</a>`;
}

function accountsSection(input: AccountListInput): SafeHtml {
  const { accounts, apps } = input;
  const appsById = new Map(apps.map((app) => [app.id, app]));
  const rows = accounts.map((account) => accountRow(account, appsById.get(account.appId), input));
  return html`<section id="accounts-section">
<h2>Mail accounts</h2>
${accounts.length === 0 ? noAccounts(apps) : accountTable(rows)}
<p class="actions">${addAccountButton(apps, input.paths)}</p>
</section>`;
}

/** The main screen: mail accounts, then app registrations. */
export function accountListBody(input: AccountListInput): SafeHtml {
  const { accounts, apps, paths, now } = input;
  const counts = new Map<string, number>();
  for (const account of accounts) counts.set(account.appId, (counts.get(account.appId) ?? 0) + 1);
  return html`${noticeBox(input.notice)}
${appIncidentNotices(apps, accounts, paths)}
${secretExpiryNotices(apps, paths, now)}
${accountsSection(input)}
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
  /** Which page of the history `events` is, and whether older events exist. */
  readonly history?: { readonly page: number; readonly hasOlder: boolean };
}

/** How long a step that ran took. */
function timing(step: ConnectionTestStep): string {
  return step.outcome === 'skipped' ? '' : ` (${step.ms} ms)`;
}

/** The mark in front of a connection test step. */
const STEP_MARKS: Readonly<Record<ConnectionTestStep['outcome'], string>> = { ok: '✓', failed: '✗', skipped: '–' };

function testStep(step: ConnectionTestStep): SafeHtml {
  const fix = step.error ? html`<br><span class="fix">${step.error.message} What to do: ${step.error.fix}</span>` : '';
  return html`<li class="step-${step.outcome}" data-step="${step.step}" data-outcome="${step.outcome}">
<strong>${STEP_MARKS[step.outcome] ?? '–'} ${step.title}:</strong> ${step.detail}${timing(step)}${fix}
</li>`;
}

function testResultBox(result: ConnectionTestResult, editHref: string): SafeHtml {
  const listed = result.steps.some((step) => step.step === 'folders' && step.outcome === 'ok');
  const choose = listed
    ? html`<p><a class="button" id="choose-folder" href="${editHref}#f-folder">Choose the folder from the server's \
list</a></p>`
    : '';
  return html`<section class="box" id="connection-test" data-ok="${result.ok ? 'true' : 'false'}">
<h2>Connection test: ${result.ok ? 'everything works' : 'a step failed'}</h2>
<ol class="steps">
${result.steps.map(testStep)}
</ol>
${choose}
</section>`;
}

function postFetchWords(action: string): string {
  if (action === 'mark_seen') return 'mark as read';
  if (action === 'keep') return 'leave as it is';
  if (action === 'delete') return 'delete';
  return `move to "${action.slice('move:'.length)}"`;
}

/** The first fetch of an account in words. */
const INITIAL_SYNC_WORDS: Readonly<Record<MailAccount['initialSync'], string>> = {
  unseen: 'unread messages',
  all: 'all messages',
  new_only: 'only new messages',
};

function tlsWords(tls: MailAccount['tls']): string {
  if (tls === 'implicit') return 'TLS';
  if (tls === 'starttls') return 'STARTTLS';
  return 'no TLS (loopback only)';
}

/** The status detail of a connected account whose signed-in identity is not known. */
function connectedDetail(account: MailAccount): SafeHtml {
  if (account.status !== 'connected' || !account.statusDetail || account.authorizedIdentity) return html``;
  return html`<p class="muted">${account.statusDetail}</p>`;
}

function accountStatusBox(input: AccountDetailInput): SafeHtml {
  const { account, paths, csrfToken, app, now } = input;
  const action = (name: AccountAction) => paths.to(ROUTE_PATHS.accountAction(account.id, name));
  const disconnect = account.status !== 'not_connected' ? disconnectBox(action('disconnect'), csrfToken) : '';
  const activity = activityAttribute(account, now);
  return html`<section class="box" id="account-status" data-status="${displayedStatus(account)}"${activity}>
<p>${statusBadge(account, now)} ${identityLine(account)}</p>
${statusText(account, false, now)}
${connectedDetail(account)}
${credentialExpiryLine(app, now)}
<div class="actions">
${connectButton(account, paths, csrfToken)}
${connectWithCodeButton(account, paths, csrfToken)}
${postButton(action('test'), 'Test connection', { csrfToken, id: 'test-connection' })}
${fetchNowButton(account, paths, csrfToken, 'fetch-now')}
${disconnect}
<a class="button" href="${paths.to(ROUTE_PATHS.accountEdit(account.id))}" id="edit-account">Edit settings</a>
</div>
</section>`;
}

const DISCONNECT_WARNING =
  'Disconnecting deletes the stored tokens (revoked where the provider supports it): fetching and sending stop ' +
  'until someone clicks Connect and signs in again.';

/** Disconnect behind a confirmation, like Delete. */
function disconnectBox(action: string, csrfToken: string | undefined): SafeHtml {
  const button = postButton(action, 'Disconnect', {
    csrfToken,
    kind: 'danger',
    confirm: 'Yes, disconnect',
    id: 'disconnect',
  });
  return html`<details class="inline-confirm" id="disconnect-box">
<summary class="button">Disconnect…</summary>
<p>${DISCONNECT_WARNING}</p>
${button}
</details>`;
}

function sharedMailboxNote(account: MailAccount): SafeHtml {
  if (!account.sharedViaDelegate) return html``;
  return html` <span class="muted">(shared mailbox, reached through a delegate's sign-in)</span>`;
}

function appFact(app: AppRegistration | null, paths: AdminPaths): SafeHtml {
  if (!app) return html`<span class="error-text">missing</span>`;
  const link = html`<a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a>`;
  return html`${link} <span class="muted">${PROVIDER_LABELS[app.provider]} · ${CREDENTIAL_LABELS[app.credentialType]}</span>`;
}

/** How replies leave through the account, or that they do not. */
function sendingWords(account: MailAccount): string {
  const { enabled, host, port, tls, from } = account.smtp;
  if (!enabled) return 'off (replies do not leave through this account)';
  return `SMTP ${host}:${port}, ${tlsWords(tls ?? 'starttls')}, from ${from ?? account.mailbox}`;
}

function accountFacts({ account, app, paths, now }: AccountDetailInput): SafeHtml {
  const server = `${account.protocol.toUpperCase()} ${account.host}:${account.port}, ${tlsWords(account.tls)}`;
  const folder =
    account.protocol === 'pop3'
      ? `the POP3 inbox (POP3 has no folders); afterwards: ${postFetchWords(account.postFetch)}`
      : `${account.folder}; first fetch: ${INITIAL_SYNC_WORDS[account.initialSync] ?? 'unread messages'}; ` +
        `afterwards: ${postFetchWords(account.postFetch)}`;
  const interval = `${account.pollIntervalSeconds} s${account.enabled ? '' : ' (fetching disabled)'}`;
  const nextPoll =
    account.enabled && account.status !== 'not_connected' ? formatTime(account.nextPollAt, now) : 'not scheduled';
  return html`<section class="box" id="account-facts">
<h2>Settings</h2>
<dl class="facts">
<dt>Mailbox</dt>
<dd>${account.mailbox}${sharedMailboxNote(account)}</dd>
<dt>Tokens from</dt>
<dd id="auth-mode">${AUTH_MODE_LABELS[account.authMode]}</dd>
<dt>App registration</dt>
<dd>${appFact(app, paths)}</dd>
<dt>Server</dt>
<dd>${server}</dd>
<dt>Folder</dt>
<dd>${folder}</dd>
<dt>Checked every</dt>
<dd>${interval}</dd>
<dt>Sending replies</dt>
<dd id="sending">${sendingWords(account)}</dd>
<dt>Last poll</dt>
<dd>${formatTime(account.lastPollAt, now)}</dd>
<dt>Last success</dt>
<dd>${formatTime(account.lastSuccessAt, now)}</dd>
<dt>Next poll</dt>
<dd>${nextPoll}</dd>
<dt>Messages fetched</dt>
<dd id="messages-fetched">${account.messagesFetched}</dd>
</dl>
</section>`;
}

function eventRow(event: PluginEvent, now: number): SafeHtml {
  const code = event.code ? html`<br><code>${event.code}</code>` : '';
  const { what, details } = eventWords(event);
  return html`<tr data-type="${event.type}">
<td>${formatTime(event.at, now)}</td>
<td>${what}${code}</td>
<td>${details}</td>
</tr>`;
}

const EVENT_COLUMNS = ['When', 'What', 'Details'];

function eventTable(events: readonly PluginEvent[], now: number): SafeHtml {
  return html`<table class="events" id="event-list">
${tableHead(EVENT_COLUMNS)}
<tbody>
${events.map((event) => eventRow(event, now))}
</tbody>
</table>`;
}

/** Newer / older links of the history, when there is more than one page. */
function historyPages({ account, paths, history }: AccountDetailInput): SafeHtml {
  const page = history?.page ?? 1;
  const link = (to: number, words: string, id: string) =>
    html`<a id="${id}" href="${paths.to(`${ROUTE_PATHS.account(account.id)}?history=${to}#history`)}">${words}</a>`;
  const newer = page > 1 ? link(page - 1, '← Newer events', 'history-newer') : '';
  const older = history?.hasOlder ? link(page + 1, 'Older events →', 'history-older') : '';
  if (!newer && !older) return html``;
  return html`<p class="history-pages">${newer}${older} <span class="muted">page ${page}</span></p>`;
}

function historySection(input: AccountDetailInput): SafeHtml {
  const { events, now } = input;
  const list = events.length === 0 ? html`<p class="muted">Nothing happened yet.</p>` : eventTable(events, now);
  return html`<section id="history">
<h2>History</h2>
${list}
${historyPages(input)}
</section>`;
}

const DELETE_ACCOUNT_WARNING =
  'Deleting disconnects the mailbox (the tokens are deleted) and removes its settings; ' +
  'tickets already created stay.';

function deleteAccountBox({ account, paths, csrfToken }: AccountDetailInput): SafeHtml {
  const button = postButton(paths.to(ROUTE_PATHS.accountAction(account.id, 'delete')), 'Delete mail account', {
    csrfToken,
    kind: 'danger',
    confirm: 'Yes, delete it',
    id: 'delete-account',
  });
  return html`<details class="box danger-zone">
<summary>Delete this mail account</summary>
<p>${DELETE_ACCOUNT_WARNING}</p>
${button}
</details>`;
}

const NOT_CONNECTED_ANSWER =
  '"User is authenticated but not connected" (or a refused login) means this permission is missing, or ' +
  "New-ServicePrincipal was given the Object ID of the App registration instead of the Enterprise application's.";

/** An app-only Microsoft account: the Exchange Online PowerShell lines with its ids filled in. */
function appOnlySetupBox({ account, app }: AccountDetailInput): SafeHtml {
  if (account.authMode !== 'app_only' || app?.provider !== 'microsoft') return html``;
  const principal = app.servicePrincipalId ?? '<object id of the Enterprise application>';
  const user = app.servicePrincipalId ?? '<service principal id>';
  const commands = [
    'Install-Module -Name ExchangeOnlineManagement',
    `Connect-ExchangeOnline -Organization ${app.tenant ?? '<tenant id>'}`,
    `New-ServicePrincipal -AppId ${app.clientId} -ObjectId ${principal}`,
    'Get-ServicePrincipal | fl',
    `Add-MailboxPermission -Identity ${account.mailbox} -User ${user} -AccessRights FullAccess`,
  ].join('\n');
  const unknown = app.servicePrincipalId
    ? ''
    : html`<p class="muted">Enter the Object ID of the Enterprise application on the app registration to fill \
in the missing ids (Entra admin center → Enterprise applications → this app; not the App registration's Object ID).</p>`;
  return html`<section class="box" id="app-only-setup">
<h2>Give the app this mailbox (Exchange Online PowerShell)</h2>
<pre class="commands" id="exchange-commands">${commands}</pre>
${unknown}
<p>${NOT_CONNECTED_ANSWER} The app also needs the application permission <code>IMAP.AccessAsApp</code> with admin \
consent; its tokens ask for <code>${appTokenScope(app) ?? ''}</code>.</p>
</section>`;
}

/** A service-account account: the delegation entry it relies on. */
function serviceAccountBox({ account, app }: AccountDetailInput): SafeHtml {
  if (account.authMode !== 'service_account' || !app) return html``;
  return html`<section class="box" id="service-account-setup">
<h2>Domain-wide delegation</h2>
<p>Service account <code>${app.serviceAccountEmail ?? ''}</code> acts for <code>${account.mailbox}</code>. \
The Workspace Admin console (Security → Access and data control → API controls → Manage Domain Wide Delegation) \
must list client ID <code>${app.clientId}</code> with the scope <code>${appTokenScope(app) ?? ''}</code>.</p>
</section>`;
}

/** One account's page. */
export function accountDetailBody(input: AccountDetailInput): SafeHtml {
  return html`${noticeBox(input.notice)}
${accountStatusBox(input)}
${appOnlySetupBox(input)}
${serviceAccountBox(input)}
${input.testResult ? testResultBox(input.testResult, input.paths.to(ROUTE_PATHS.accountEdit(input.account.id))) : ''}
${accountFacts(input)}
${historySection(input)}
${deleteAccountBox(input)}
<p><a href="${input.paths.to(ROUTE_PATHS.accounts)}">Back to the mail accounts</a></p>`;
}
