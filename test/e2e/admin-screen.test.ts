// The admin mail-account screen in Chromium against the reference host, the local OAuth2 server and Dovecot:
// app + account created in the browser, Connect, Fetch now, tickets; a revoked grant -> needs re-authorization with
// its reason -> Re-authorize -> connected, no ticket lost or duplicated; CSRF, sign-in and admin checks; inert
// markup; callback failures that leave the account as it was; the README screenshots.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ERROR_CODES } from '../../plugin/errors';
import { completeAuthorization, completeDeviceAuthorization, SHARED_MAILBOX } from '../helpers/test-env';
import { ADMIN, AGENT, mail, newContext, OTHER_ADMIN, PLUGIN, signIn, startWorld, type E2eWorld } from './e2e-world';

jest.setTimeout(120_000);

const MAILBOX = 'alice@example.test';
const XSS = '<img src=x onerror=alert(1)>';

let world: E2eWorld;
let admin: BrowserContext;
let page: Page;
let accountId: string;
const dialogs: string[] = [];
/** The provider's redirects back to the callback, in order (the browser only shows where the callback sends it). */
const callbackUrls: string[] = [];

async function tickets(): Promise<{ count: number; keys: number; messageIds: string[] }> {
  const rows = (await world.db('host_tickets').select('dedupe_key', 'message_id')) as Array<{
    dedupe_key: string;
    message_id: string | null;
  }>;
  return {
    count: rows.length,
    keys: new Set(rows.map((r) => r.dedupe_key)).size,
    messageIds: rows.map((r) => r.message_id ?? '').sort(),
  };
}

async function accountRow(): Promise<{
  status: string;
  status_code: string | null;
  authorized_identity: string | null;
}> {
  return world
    .db('oauth2_mail_accounts')
    .where({ id: accountId })
    .first('status', 'status_code', 'authorized_identity');
}

async function tokenVersion(): Promise<string> {
  const row = (await world.db('oauth2_mail_tokens').where({ account_id: accountId }).first()) as
    Record<string, unknown> | undefined;
  return row ? `${String(row.version)}:${String(row.obtained_at ?? '')}` : 'none';
}

/** True for the account page the callback redirects to, with its one notice. */
function backOnAccount(id: string): (url: URL) => boolean {
  return (url) => url.pathname === `${PLUGIN}/accounts/${id}` && url.searchParams.has('notice');
}

/**
 * Connect / Re-authorize from the account page, signing in at the provider as `login`; ends on the account's page
 * where the callback redirects. `keepProviderSession` leaves the provider's sign-in cookies (the sticky identity).
 */
async function connectAs(
  login: string,
  password: string,
  options: { screenshot?: string; cancel?: boolean; account?: string; keepProviderSession?: boolean } = {},
): Promise<void> {
  const id = options.account ?? accountId;
  if (!options.keepProviderSession) {
    // Forget the provider's sign-in session; keep the helpdesk's.
    const keep = (await admin.cookies()).filter((cookie) => cookie.name === 'sid');
    await admin.clearCookies();
    await admin.addCookies(keep);
  }
  await page.goto(`${world.host.url}${PLUGIN}/accounts/${id}`);
  await Promise.all([page.waitForURL((url) => url.origin === world.oauth.origin), page.click(`#connect-${id} button`)]);
  await page.waitForSelector('#login');
  if (options.screenshot) {
    await page.fill('#login', login);
    await page.screenshot({
      path: join(world.screenshotDir, options.screenshot),
      clip: { x: 0, y: 0, width: 720, height: 150 },
    });
  }
  if (options.cancel) {
    await Promise.all([page.waitForURL(backOnAccount(id)), page.click('#abort')]);
    return;
  }
  await page.fill('#login', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(backOnAccount(id), { timeout: 30_000 }), page.click('#submit')]);
}

/** Fetch now from the account page; the scheduler may be polling the same account, so "busy" is retried. */
async function fetchNow(): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
    await Promise.all([page.waitForURL(/notice=/), page.click('#fetch-now button')]);
    const notice = (await page.textContent('#notice')) ?? '';
    if (!notice.includes('being fetched right now') || attempt >= 20) return notice;
    await page.waitForTimeout(500);
  }
}

/** The scheduler polls too: wait until the ticket count settles at `count`. */
async function waitForTickets(count: number): Promise<void> {
  for (let i = 0; i < 100 && (await tickets()).count < count; i++) await page.waitForTimeout(200);
  expect((await tickets()).count).toBe(count);
}

beforeAll(async () => {
  // 60 s tokens: below the 300 s refresh skew, so every poll refreshes and a revoked grant shows at once.
  world = await startWorld(60);
  await world.dovecot.seed(MAILBOX, [
    mail('first', 'Printer on floor 3 is jammed'),
    mail('second', 'VPN drops every hour'),
    mail('third', 'Request: new laptop for Kim'),
  ]);
  admin = await newContext(world);
  page = await admin.newPage();
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === `${PLUGIN}/callback`) callbackUrls.push(request.url());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterAll(async () => {
  await world?.stop();
});

test('a signed-out visitor is sent to the sign-in page and cannot post', async () => {
  const visitor = await newContext(world);
  const anon = await visitor.newPage();
  await anon.goto(`${world.host.url}${PLUGIN}/accounts`);
  expect(new URL(anon.url()).pathname).toBe('/login');
  const post = await visitor.request.post(`${world.host.url}${PLUGIN}/apps`, {
    form: { provider: 'google', name: 'x', clientId: 'x', clientSecret: 'y' },
    maxRedirects: 0,
  });
  expect([303, 401, 403]).toContain(post.status());
  await visitor.close();
});

test('an admin creates an app registration and a mail account in the browser', async () => {
  await signIn(page, world, ADMIN, `${PLUGIN}/accounts`);
  await page.goto(`${world.host.url}${PLUGIN}/accounts`);
  await page.click('#add-app');
  await page.click('#provider-microsoft');
  // The exact redirect URI to register is shown, ready to copy.
  expect(await page.inputValue('#redirect-uri')).toBe(`${world.host.url}${PLUGIN}/callback`);
  expect(await page.inputValue('#requested-scopes')).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');
  await page.fill('#f-name', 'Contoso Entra app');
  await page.fill('#f-tenant', world.oauth.tenant ?? 'organizations');
  await page.fill('#f-clientId', world.oauth.client.clientId);
  await page.fill('#f-clientSecret', world.oauth.client.clientSecret);
  await page.fill('#f-secretExpiresAt', new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10));
  await page.click('#advanced summary');
  await page.fill('#f-issuerUrl', world.oauth.issuer);
  await Promise.all([page.waitForURL(/notice=app_created/), page.click('#app-form button[type=submit]')]);
  expect(await page.textContent('#app-list')).toContain('Contoso Entra app');
  expect(await page.content()).not.toContain(world.oauth.client.clientSecret);

  await page.click('#add-account');
  // A validation error is shown next to its field and nothing is saved.
  await page.fill('#f-mailbox', 'not an address');
  await page.fill('#f-host', '127.0.0.1');
  await page.fill('#f-port', String(world.dovecot.ports.imaps));
  await page.selectOption('#f-tls', 'implicit');
  await page.selectOption('#f-initialSync', 'all');
  await page.fill('#f-pollIntervalSeconds', '3600');
  await page.$eval('#account-form', (form) => form.setAttribute('novalidate', ''));
  await page.click('#account-form button[type=submit]');
  expect(await page.textContent('#e-mailbox')).toContain('must be a mail address');
  expect(await page.inputValue('#f-host')).toBe('127.0.0.1');
  expect(await world.db('oauth2_mail_accounts').count({ n: '*' }).first()).toMatchObject({ n: 0 });

  await page.fill('#f-mailbox', MAILBOX);
  await Promise.all([page.waitForURL(/notice=account_created/), page.click('#account-form button[type=submit]')]);
  accountId = /\/accounts\/([^/?]+)/.exec(page.url())![1]!;
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('not_connected');
});

test('Connect: sign in at the provider, back connected; Fetch now turns the mail into tickets', async () => {
  await connectAs('alice@example.test', 'alice-password', { screenshot: 'provider-login.png' });
  // The callback ended on the account's page: connected, the result on top, one heading.
  expect(await page.textContent('#notice')).toContain('Connected');
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
  expect(await page.textContent('#account-status')).toContain(`signed in as ${MAILBOX}`);
  expect(await page.locator('h1').count()).toBe(1);
  await page.screenshot({ path: join(world.screenshotDir, 'account-connected.png'), fullPage: true });

  expect(await fetchNow()).toMatch(/Fetch now: \d+ new messages? fetched/);
  await waitForTickets(3);
  await page.reload();
  expect(await page.textContent('#messages-fetched')).toBe('3');

  await page.goto(`${world.host.url}/tickets`);
  const subjects = await page.locator('#tickets tbody tr').allTextContents();
  expect(subjects).toHaveLength(3);
  expect(subjects.join('\n')).toContain('VPN drops every hour');
  await page.goto(`${world.host.url}${PLUGIN}/accounts`);
  await page.screenshot({ path: join(world.screenshotDir, 'account-list.png'), fullPage: true });
});

test('the connection test shows token, login, folders and message count', async () => {
  await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
  await page.click('#test-connection button');
  await page.waitForSelector('#connection-test');
  expect(await page.getAttribute('#connection-test', 'data-ok')).toBe('true');
  for (const step of ['token', 'login', 'folders', 'messages'])
    expect(await page.getAttribute(`li[data-step=${step}]`, 'data-outcome')).toBe('ok');
  expect(await page.textContent('li[data-step=messages]')).toContain('holds 3 messages');
});

test('a revoked grant: needs re-authorization with its reason, Re-authorize, connected again, no ticket lost or duplicated', async () => {
  expect(await world.oauth.revokeUser(MAILBOX)).toBeGreaterThanOrEqual(1);
  await world.dovecot.seed(MAILBOX, [mail('fourth', 'Password reset for Jo'), mail('fifth', 'Broken monitor cable')]);
  const notice = await fetchNow();
  expect(notice).toContain('Fetch now failed');
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('needs_reauth');
  const status = (await page.textContent('#account-status')) ?? '';
  expect(status).toContain('needs re-authorization');
  expect(status).toContain(ERROR_CODES.ERR_GRANT_INVALID.message);
  expect(status).toContain(ERROR_CODES.ERR_GRANT_INVALID.fix);
  expect(await page.textContent(`#connect-${accountId} button`)).toBe('Re-authorize');
  expect((await tickets()).count).toBe(3);
  await page.goto(`${world.host.url}${PLUGIN}/accounts`);
  expect(await page.textContent(`tr[data-account-id="${accountId}"]`)).toContain(ERROR_CODES.ERR_GRANT_INVALID.fix);
  await page.screenshot({ path: join(world.screenshotDir, 'account-needs-reauth.png'), fullPage: true });

  await connectAs('alice@example.test', 'alice-password');
  expect(await page.textContent('#notice')).toContain('Connected');
  expect(await fetchNow()).toMatch(/Fetch now: \d+ new messages? fetched/);
  await waitForTickets(5);
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
  // Again: nothing new, nothing twice.
  expect(await fetchNow()).toContain('0 new messages fetched');
  const after = await tickets();
  expect(after).toEqual({
    count: 5,
    keys: 5,
    messageIds: [
      '<fifth@e2e.example>',
      '<first@e2e.example>',
      '<fourth@e2e.example>',
      '<second@e2e.example>',
      '<third@e2e.example>',
    ],
  });
});

test('callback failures say what happened and leave the account as it was', async () => {
  const before = { row: await accountRow(), token: await tokenVersion() };
  expect(before.row.status).toBe('connected');

  // The user cancels at the provider: error=access_denied.
  await connectAs('', '', { cancel: true });
  expect(await page.textContent('#notice')).toContain('Connect failed');
  expect(await page.textContent('#notice')).toContain(ERROR_CODES.ERR_AUTHORIZATION_DENIED.fix);

  // Someone else signs in: bob cannot open alice's mailbox; the page says who signed in and how to sign out.
  await connectAs('bob@example.test', 'bob-password');
  const mismatch = (await page.textContent('#notice')) ?? '';
  expect(mismatch).toContain('Connect failed');
  expect(mismatch).toContain('bob@example.test');
  expect(mismatch).toContain(ERROR_CODES.ERR_IDENTITY_MISMATCH.fix);
  expect(mismatch).toContain('sign out at the provider');

  // A successful sign-in's callback URL used a second time: the account page again, nothing replayed.
  await connectAs('alice@example.test', 'alice-password');
  const used = callbackUrls[callbackUrls.length - 1]!;
  expect(await page.textContent('#notice')).toContain('Connected');
  const reconnected = await tokenVersion();
  await page.goto(used);
  expect(new URL(page.url()).pathname).toBe(`${PLUGIN}/accounts/${accountId}`);
  expect(await page.textContent('#notice')).toContain('already used');
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');

  const after = await accountRow();
  expect(after).toEqual({ ...before.row, status: 'connected' });
  expect(after.authorized_identity).toBe(MAILBOX);
  expect(await tokenVersion()).toBe(reconnected);
});

test('a sign-in started by one admin cannot be finished by another signed-in admin', async () => {
  const before = { row: await accountRow(), token: await tokenVersion() };
  // Connect as the admin, then do the provider's part outside the browser so the callback URL is not visited yet.
  await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
  const action = await page.getAttribute(`#connect-${accountId}`, 'action');
  const csrf = await page.getAttribute(`#connect-${accountId} input[name=_csrf]`, 'value');
  const started = await admin.request.post(`${world.host.url}${action}`, {
    form: { _csrf: csrf ?? '' },
    maxRedirects: 0,
  });
  expect(started.status()).toBe(303);
  const callbackUrl = await completeAuthorization(started.headers()['location']!, {
    login: MAILBOX,
    password: 'alice-password',
    caCertPem: world.oauth.caCertPem,
  });
  expect(callbackUrl).toContain('code=');

  const otherContext = await newContext(world);
  const otherPage = await otherContext.newPage();
  await signIn(otherPage, world, OTHER_ADMIN, '/tickets');
  await otherPage.goto(callbackUrl);
  expect(await otherPage.textContent('#notice')).toContain(ERROR_CODES.ERR_STATE_OTHER_ADMIN.message);
  await otherContext.close();
  expect(await accountRow()).toEqual(before.row);
  expect(await tokenVersion()).toBe(before.token);

  // The admin who started it still finishes it: the refused attempt did not use up the state.
  await page.goto(callbackUrl);
  expect(await page.textContent('#notice')).toContain('Connected');
  expect(await tokenVersion()).not.toBe(before.token);
});

test('a shared mailbox connected through a delegate shows who signed in for which mailbox', async () => {
  await world.dovecot.seed(SHARED_MAILBOX, [mail('shared-1', 'Shared inbox: invoice question')]);
  await page.goto(`${world.host.url}${PLUGIN}/accounts/new`);
  await page.fill('#f-mailbox', SHARED_MAILBOX);
  await page.check('#f-sharedViaDelegate');
  await page.fill('#f-host', '127.0.0.1');
  await page.fill('#f-port', String(world.dovecot.ports.imaps));
  await page.selectOption('#f-tls', 'implicit');
  await page.fill('#f-pollIntervalSeconds', '3600');
  await Promise.all([page.waitForURL(/notice=account_created/), page.click('#account-form button[type=submit]')]);
  const sharedId = /\/accounts\/([^/?]+)/.exec(page.url())![1]!;
  await connectAs('bob@example.test', 'bob-password', { account: sharedId });
  expect(await page.textContent('#notice')).toContain('Connected');
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
  expect((await page.textContent('#account-status'))?.replace(/\s+/g, ' ')).toContain(
    `signed in as bob@example.test for mailbox ${SHARED_MAILBOX}`,
  );
  await page.click('#test-connection button');
  await page.waitForSelector('#connection-test');
  expect(await page.textContent('li[data-step=login]')).toContain(`as ${SHARED_MAILBOX}`);
  expect(await page.getAttribute('#connection-test', 'data-ok')).toBe('true');
});

test('Connect with a code: the page shows the code, reloads itself, and lands on the connected account once the sign-in on another device is done', async () => {
  await page.goto(`${world.host.url}${PLUGIN}/accounts/new`);
  await page.fill('#f-mailbox', 'bob@example.test');
  await page.fill('#f-host', '127.0.0.1');
  await page.fill('#f-port', String(world.dovecot.ports.imaps));
  await page.selectOption('#f-tls', 'implicit');
  await page.fill('#f-pollIntervalSeconds', '3600');
  await Promise.all([page.waitForURL(/notice=account_created/), page.click('#account-form button[type=submit]')]);
  const bobId = /\/accounts\/([^/?]+)/.exec(page.url())![1]!;
  await Promise.all([page.waitForURL(/\/device$/), page.click('#connect-device button')]);
  const userCode = (await page.textContent('#user-code')) ?? '';
  const verificationUri = (await page.getAttribute('#verification-uri', 'href')) ?? '';
  expect(verificationUri).toBe(world.oauth.endpoints.deviceVerification);
  await completeDeviceAuthorization(verificationUri, userCode, {
    login: 'bob@example.test',
    password: 'bob-password',
    caCertPem: world.oauth.caCertPem,
  });
  // No click: the page reloads itself until the plugin's poll has stored the checked grant.
  await page.waitForURL(/notice=connected/, { timeout: 60_000 });
  expect(new URL(page.url()).pathname).toBe(`${PLUGIN}/accounts/${bobId}`);
  expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
  expect(await page.textContent('#account-status')).toContain('signed in as bob@example.test');
});

describe('the admin screen as a newcomer meets it (issue 14)', () => {
  test('1. the same mailbox cannot be added twice: the form names the account that already reads it', async () => {
    const before = await world.db('oauth2_mail_accounts').count({ n: '*' }).first();
    await page.goto(`${world.host.url}${PLUGIN}/accounts/new`);
    await page.fill('#f-mailbox', 'Alice@Example.test');
    await page.fill('#f-host', '127.0.0.1');
    await page.fill('#f-port', String(world.dovecot.ports.imaps));
    await page.selectOption('#f-tls', 'implicit');
    await page.selectOption('#f-initialSync', 'all');
    await page.click('#account-form button[type=submit]');
    const message = (await page.textContent('#e-mailbox')) ?? '';
    expect(message).toContain(`Mailbox address is already configured as mail account ${accountId}`);
    expect(message).toContain('second ticket');
    expect(await world.db('oauth2_mail_accounts').count({ n: '*' }).first()).toEqual(before);
  });

  test('4. the identity signed in at the provider does not stick: Re-authorize asks which account to use', async () => {
    // bob signs in at the provider and is refused for alice's mailbox ...
    await connectAs('bob@example.test', 'bob-password');
    expect(await page.textContent('#notice')).toContain('bob@example.test');
    // ... and, with bob still signed in at the provider, Re-authorize shows its sign-in page again (prompt).
    await connectAs('alice@example.test', 'alice-password', { keepProviderSession: true });
    expect(await page.textContent('#notice')).toContain('Connected');
    expect(await page.textContent('#account-status')).toContain(`signed in as ${MAILBOX}`);
    await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
    const action = await page.getAttribute(`#connect-${accountId}`, 'action');
    const csrf = await page.getAttribute(`#connect-${accountId} input[name=_csrf]`, 'value');
    const started = await admin.request.post(`${world.host.url}${action}`, {
      form: { _csrf: csrf ?? '' },
      maxRedirects: 0,
    });
    expect(new URL(started.headers()['location']!).searchParams.get('prompt')).toBe('select_account');
  });

  test('5. the callback ends on the account page; reloading it repeats nothing', async () => {
    await connectAs('alice@example.test', 'alice-password');
    expect(new URL(page.url()).pathname).toBe(`${PLUGIN}/accounts/${accountId}`);
    const token = await tokenVersion();
    await page.reload();
    expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
    expect(await page.textContent('main')).not.toContain('not connected');
    expect(await page.locator('h1').count()).toBe(1);
    expect(await tokenVersion()).toBe(token);
  });

  test('6. forms report every field at once, in the screen’s words; shapes and conflicts are checked', async () => {
    await page.goto(`${world.host.url}${PLUGIN}/apps/new?provider=microsoft`);
    await page.$eval('#app-form', (form) => form.setAttribute('novalidate', ''));
    await page.click('#app-form button[type=submit]');
    expect(await page.textContent('#e-name')).toBe('Name is required');
    expect(await page.textContent('#e-clientId')).toBe('Client ID is required');
    expect(await page.textContent('#e-clientSecret')).toBe('Client secret is required');
    await page.fill('#f-name', 'Not a GUID');
    await page.fill('#f-clientId', 'my-app');
    await page.fill('#f-clientSecret', 'some secret value');
    await page.click('#app-form button[type=submit]');
    expect(await page.textContent('#e-clientId')).toContain('must be the Application (client) ID, a GUID');

    const app = (await world.db('oauth2_mail_apps').where({ name: 'Contoso Entra app' }).first('id')) as {
      id: unknown;
    };
    await page.goto(`${world.host.url}${PLUGIN}/apps/${String(app.id)}`);
    await page.fill('#f-tenant', 'contoso.example');
    await page.click('#app-form button[type=submit]');
    expect(await page.textContent('#e-tenant')).toContain(
      'is not used while an issuer URL or endpoint override is set',
    );

    await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}/edit`);
    await page.selectOption('#f-postFetchAction', 'move');
    await page.fill('#f-postFetchFolder', '');
    await page.click('#account-form button[type=submit]');
    const move = (await page.textContent('#e-postFetchFolder')) ?? '';
    expect(move).toContain('Move to folder is required');
    expect(move).not.toContain('move:FOLDER');
  });

  test('7, 8. Disconnect asks first, then says who and when; the history is in words, has it, is paged', async () => {
    await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
    expect(await page.isVisible('#disconnect button')).toBe(false);
    await page.click('#disconnect-box summary');
    expect(await page.getAttribute('#disconnect input[name=confirm]', 'required')).not.toBeNull();
    const csrf = (await page.getAttribute('#disconnect input[name=_csrf]', 'value')) ?? '';
    const unconfirmed = await admin.request.post(`${world.host.url}${PLUGIN}/accounts/${accountId}/disconnect`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(unconfirmed.status()).toBe(400);
    expect((await accountRow()).status).toBe('connected');
    await page.check('#disconnect input[name=confirm]');
    await Promise.all([page.waitForURL(/notice=disconnected/), page.click('#disconnect button')]);
    const status = ((await page.textContent('#account-status')) ?? '').replace(/\s+/g, ' ');
    expect(status).toMatch(/Disconnected by admin@e2e\.test at \d{4}-\d\d-\d\d \d\d:\d\d UTC: click Connect to resume/);
    expect(status).not.toContain('Not connected yet');

    const newest = (await page.textContent('#event-list')) ?? '';
    expect(newest).toContain('Now not connected (was connected)');
    expect(await page.locator('#event-list tbody tr').count()).toBe(20);
    // Every page, oldest last: the earlier polls' results are there, in words.
    let history = newest;
    for (let pages = 1; await page.isVisible('#history-older'); pages++) {
      expect(pages).toBeLessThan(20);
      await page.click('#history-older');
      expect(await page.isVisible('#history-newer')).toBe(true);
      history += (await page.textContent('#event-list')) ?? '';
    }
    expect(history).toMatch(/Mail fetched\s*Fetched: 3 new messages made into tickets\./);
    expect(history).toContain('Now connected (was not connected)');
    expect(history).not.toMatch(/[a-z]_[a-z]+ -> /);
    await connectAs('alice@example.test', 'alice-password');
    expect(await page.getAttribute('#account-status', 'data-status')).toBe('connected');
  });

  test('9. what to register at the provider comes first and lists exactly the scopes requested, whole', async () => {
    await page.goto(`${world.host.url}${PLUGIN}/apps/new?provider=microsoft`);
    // The box is the form's earlier sibling (the page's order is the reading order).
    const order = await page.$$eval('#provider-setup, #app-form', (nodes) => nodes.map((node) => node.id));
    expect(order).toEqual(['provider-setup', 'app-form']);

    const scopes = (await page.inputValue('#requested-scopes')).split(' ');
    expect(scopes).toEqual([
      'openid',
      'profile',
      'email',
      'offline_access',
      'https://outlook.office.com/IMAP.AccessAsUser.All',
    ]);
    const steps = (await page.textContent('#provider-setup ol')) ?? '';
    for (const scope of scopes) expect(steps).toContain(scope.replace('https://outlook.office.com/', ''));
    const cut = await page.$eval(
      '#requested-scopes',
      (box) => box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight,
    );
    expect(cut).toBe(false);
  });

  test('10. after a connection test the folder is chosen from the server’s list; typing stays possible', async () => {
    await page.goto(`${world.host.url}${PLUGIN}/accounts/${accountId}`);
    await page.click('#test-connection button');
    await page.waitForSelector('#connection-test');
    await Promise.all([page.waitForURL(/\/edit/), page.click('#choose-folder')]);
    expect(await page.getAttribute('#f-folder', 'list')).toBe('server-folders');
    const folders = await page.$$eval('#server-folders option', (options) =>
      options.map((o) => o.getAttribute('value') ?? ''),
    );
    expect(folders).toContain('INBOX');
    expect(await page.textContent('#h-folder')).toContain('pick one from the list or type a name');
    await page.fill('#f-folder', 'INBOX');
    await Promise.all([page.waitForURL(/notice=account_updated/), page.click('#account-form button[type=submit]')]);
  });
});

test('a forged or absent CSRF token is refused and changes nothing', async () => {
  const url = `${world.host.url}${PLUGIN}/accounts/${accountId}/disconnect`;
  const absent = await admin.request.post(url, { form: { confirm: 'yes' }, maxRedirects: 0 });
  expect(absent.status()).toBe(403);
  const forged = await admin.request.post(url, { form: { _csrf: 'forged-token', confirm: 'yes' }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect((await accountRow()).status).toBe('connected');
});

test('a non-admin is refused', async () => {
  const agentContext = await newContext(world);
  const agentPage = await agentContext.newPage();
  await signIn(agentPage, world, AGENT, '/tickets');
  const screen = await agentPage.goto(`${world.host.url}${PLUGIN}/accounts`);
  expect(screen?.status()).toBe(403);
  const csrf = await agentPage
    .goto(`${world.host.url}/tickets`)
    .then(() => agentPage.getAttribute('input[name=_csrf]', 'value'));
  const post = await agentContext.request.post(`${world.host.url}${PLUGIN}/accounts/${accountId}/disconnect`, {
    form: { _csrf: csrf ?? '' },
    maxRedirects: 0,
  });
  expect(post.status()).toBe(403);
  expect((await accountRow()).status).toBe('connected');
  await agentContext.close();
});

test('markup in names renders inert', async () => {
  await page.goto(`${world.host.url}${PLUGIN}/apps/new?provider=google`);
  await page.fill('#f-name', XSS);
  await page.fill('#f-clientId', 'xss-client.apps.googleusercontent.com');
  await page.fill('#f-clientSecret', 'xss-secret');
  await Promise.all([page.waitForURL(/notice=app_created/), page.click('#app-form button[type=submit]')]);
  expect(await page.textContent('#app-list')).toContain(XSS);
  expect(await page.locator('main img').count()).toBe(0);
  await page.goto(`${world.host.url}${PLUGIN}/accounts/new`);
  expect(await page.locator('main img').count()).toBe(0);
  expect(await page.textContent('#f-appId')).toContain(XSS);
  expect(dialogs).toEqual([]);
});
