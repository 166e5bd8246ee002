// The admin screen's routes over the real services and repositories (SQLite), with the OAuth and mail sides faked:
// escaping, write-only secrets, validation errors next to the field with nothing half-saved, badges, and a failing
// Connect that never becomes a 500.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../../../host/create-knex';
import { createKnexRepositories, type KnexRepositories } from '../../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../../adapters/knex/migration-source';
import { AccountService } from '../../../plugin/accounts/account-service';
import { adminRoutes, ADMIN_ROUTE_IDS } from '../../../plugin/admin/admin-routes';
import type { ConnectionTestResult } from '../../../plugin/admin/connection-test';
import { ERROR_CODES, PluginError } from '../../../plugin/errors';
import type { AccountPollResult } from '../../../plugin/fetch/account-poll-result';
import { newLeaseOwnerId } from '../../../plugin/lease-owner';
import { AppService } from '../../../plugin/oauth/app-service';
import type { DeviceSignInView } from '../../../plugin/oauth/device-sign-in-service';
import type { HostRequest, HostResponse, LoggerPort, RouteDefinition } from '../../../plugin/ports/host';
import { createTestSecrets } from '../../helpers/test-secrets';
import { createClientCertificate, tempDir } from '../../helpers/test-env';

const XSS = '<img src=x onerror=alert(1)>';
const SECRET = 'super-secret-VALUE~123';

const logger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

let knex: Knex;
let repos: KnexRepositories;
let routes: RouteDefinition[];
let connectStart: jest.Mock;
let appConnect: jest.Mock;
let deviceStart: jest.Mock;
let deviceView: DeviceSignInView | null;
let fetchNow: jest.Mock<Promise<AccountPollResult>, [string]>;
let testResult: ConnectionTestResult | null;

function request(partial: Partial<HostRequest> = {}): HostRequest {
  return {
    method: 'GET',
    params: {},
    query: {},
    form: {},
    actor: { id: '1', name: 'admin@example.test', isAdmin: true },
    csrfToken: 'csrf-token-1',
    ...partial,
  };
}

async function call(id: string, partial: Partial<HostRequest> = {}): Promise<HostResponse> {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  return route.handle(request({ method: route.method, ...partial }));
}

function pageOf(response: HostResponse): { status: number; html: string } {
  if (response.kind !== 'page') throw new Error(`expected a page, got ${response.kind}`);
  return { status: response.status ?? 200, html: response.html };
}

function microsoftApp(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    provider: 'microsoft',
    name: 'Contoso',
    cloud: 'global',
    tenant: 'contoso.com',
    clientId: '11111111-2222-3333-4444-555555555555',
    clientSecret: SECRET,
    secretExpiresAt: '',
    ...overrides,
  };
}

async function createApp(overrides: Record<string, string> = {}): Promise<string> {
  const response = await call(ADMIN_ROUTE_IDS.appCreate, { form: microsoftApp(overrides) });
  expect(response).toEqual({ kind: 'redirect', location: '/accounts?notice=app_created' });
  const apps = await repos.apps.list();
  return apps[apps.length - 1]!.id;
}

async function createAccount(appId: string, overrides: Record<string, string> = {}): Promise<string> {
  const response = await call(ADMIN_ROUTE_IDS.accountCreate, {
    form: {
      appId,
      mailbox: 'support@contoso.com',
      postFetchAction: 'mark_seen',
      pollIntervalSeconds: '60',
      enabled: 'true',
      ...overrides,
    },
  });
  if (response.kind !== 'redirect') throw new Error(`account not created: ${pageOf(response).html.slice(0, 2000)}`);
  const accounts = await repos.accounts.list();
  return accounts[accounts.length - 1]!.id;
}

beforeAll(async () => {
  knex = createKnex(join(tempDir('o2m-admin-unit'), 'admin.sqlite'));
  await migrateLatest(knex);
});

afterAll(async () => {
  await knex.destroy();
});

beforeEach(async () => {
  for (const table of [
    'oauth2_mail_events',
    'oauth2_mail_tokens',
    'oauth2_mail_auth_requests',
    'oauth2_mail_accounts',
    'oauth2_mail_apps',
  ]) {
    if (await knex.schema.hasTable(table)) await knex(table).del();
  }
  repos = createKnexRepositories({ knex, secrets: createTestSecrets() });
  const clock = { now: () => Date.now() };
  const apps = new AppService({
    apps: repos.apps,
    accounts: repos.accounts,
    events: repos.events,
    clock,
    allowInsecureLoopback: false,
  });
  deviceView = null;
  deviceStart = jest.fn(async () => deviceView!);
  appConnect = jest.fn(async (accountId: string) => ({
    accountId,
    mailbox: 'support@contoso.com',
    authorizedIdentity: null,
    delegate: false,
    message: 'Connected.',
  }));
  connectStart = jest.fn(async () => ({
    authorizationUrl: 'https://login.example.test/authorize?state=abc',
    expiresAt: Date.now() + 600_000,
  }));
  const accounts = new AccountService({
    accounts: repos.accounts,
    apps: repos.apps,
    events: repos.events,
    clock,
    logger,
    authorization: { start: connectStart },
    appConnect: { connect: appConnect },
    deviceSignIns: { start: deviceStart, view: () => deviceView, wait: jest.fn() },
    disconnect: {
      disconnect: jest.fn(async (accountId: string) => ({
        accountId,
        revoked: false,
        revocationSupported: false,
        warning: null,
      })),
    },
    allowInsecureLoopback: false,
  });
  fetchNow = jest.fn();
  testResult = null;
  routes = adminRoutes({
    apps,
    accounts,
    events: repos.events,
    tester: { test: async () => testResult! },
    fetchNow,
    publicUrl: (path) => `https://helpdesk.example.test/plugins/oauth2-mail${path}`,
    clock,
    logger,
  });
});

test('every route is an admin route, static paths are registered before their :id twins', () => {
  expect(routes.every((r) => r.auth === 'admin')).toBe(true);
  const ids = routes.map((r) => r.id);
  expect(ids.indexOf(ADMIN_ROUTE_IDS.accountNew)).toBeLessThan(ids.indexOf(ADMIN_ROUTE_IDS.accountShow));
});

test('markup in an app name and an account error renders as text', async () => {
  const appId = await createApp({ name: XSS });
  const accountId = await createAccount(appId);
  await repos.accounts.setStatus(accountId, {
    status: 'needs_reauth',
    statusCode: 'ERR_GRANT_INVALID',
    statusDetail: `AADSTS70008 ${XSS}`,
  });
  const { html } = pageOf(await call(ADMIN_ROUTE_IDS.accounts));
  expect(html).not.toContain('<img');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  const detail = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: accountId } })).html;
  expect(detail).not.toContain('<img');
});

test('the client secret is write-only: never rendered, empty on edit keeps it, a new value replaces it', async () => {
  const appId = await createApp();
  const edit = pageOf(await call(ADMIN_ROUTE_IDS.appEdit, { params: { id: appId } })).html;
  expect(edit).not.toContain(SECRET);
  expect(edit).toContain('value="https://helpdesk.example.test/plugins/oauth2-mail/callback"');
  expect(edit).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');

  await call(ADMIN_ROUTE_IDS.appUpdate, {
    params: { id: appId },
    form: microsoftApp({ name: 'Contoso renamed', clientSecret: '' }),
  });
  expect((await repos.apps.find(appId))?.name).toBe('Contoso renamed');
  expect(await repos.apps.clientSecret(appId)).toBe(SECRET);

  await call(ADMIN_ROUTE_IDS.appUpdate, {
    params: { id: appId },
    form: microsoftApp({ clientSecret: 'second-secret' }),
  });
  expect(await repos.apps.clientSecret(appId)).toBe('second-secret');
});

test('an invalid app form is shown again with errors next to the fields, the entered values but not the secret, and nothing saved', async () => {
  const response = pageOf(
    await call(ADMIN_ROUTE_IDS.appCreate, { form: microsoftApp({ clientId: '', name: 'Kept name' }) }),
  );
  expect(response.status).toBe(400);
  expect(response.html).toMatch(/id="e-clientId"[^>]*>Client ID is required/);
  const tenant = pageOf(await call(ADMIN_ROUTE_IDS.appCreate, { form: microsoftApp({ tenant: 'not a tenant!' }) }));
  expect(tenant.html).toMatch(/id="e-tenant"[^>]*>Tenant must be/);
  expect(response.html).toContain('value="Kept name"');
  expect(response.html).not.toContain(SECRET);
  expect(response.html).toContain('name="_csrf" value="csrf-token-1"');
  expect(await repos.apps.list()).toHaveLength(0);
});

test('an invalid account form names the field and saves nothing; a move needs its folder', async () => {
  const appId = await createApp();
  const response = pageOf(
    await call(ADMIN_ROUTE_IDS.accountCreate, {
      form: { appId, mailbox: 'not-an-address', port: '70000', postFetchAction: 'move', postFetchFolder: '' },
    }),
  );
  expect(response.status).toBe(400);
  expect(response.html).toContain('id="e-mailbox"');
  expect(response.html).toContain('id="e-port"');
  expect(response.html).toContain('id="e-postFetchFolder"');
  expect(response.html).toContain('value="not-an-address"');
  expect(await repos.accounts.list()).toHaveLength(0);
});

test('badges, last error with its fix, Re-authorize offered on a dead token, the delegate line', async () => {
  const appId = await createApp();
  const dead = await createAccount(appId, { mailbox: 'dead@contoso.com' });
  const shared = await createAccount(appId, { mailbox: 'shared@contoso.com', sharedViaDelegate: 'on' });
  const fresh = await createAccount(appId, { mailbox: 'new@contoso.com' });
  await repos.accounts.setStatus(dead, {
    status: 'needs_reauth',
    statusCode: 'ERR_GRANT_INVALID',
    statusDetail: 'AADSTS70008: The refresh token has expired due to inactivity.',
  });
  await repos.accounts.setStatus(shared, {
    status: 'connected',
    statusCode: null,
    statusDetail: 'Signed in as bob@contoso.com for mailbox shared@contoso.com.',
    authorizedIdentity: 'bob@contoso.com',
  });
  const { html } = pageOf(await call(ADMIN_ROUTE_IDS.accounts));
  expect(html).toMatch(new RegExp(`data-account-id="${dead}" data-status="needs_reauth"`));
  expect(html).toContain('needs re-authorization');
  expect(html).toContain(ERROR_CODES.ERR_GRANT_INVALID.message.replace(/'/g, '&#39;'));
  expect(html).toContain(`What to do: ${ERROR_CODES.ERR_GRANT_INVALID.fix}`);
  expect(html).toMatch(new RegExp(`id="connect-${dead}"[^]*?>Re-authorize</button>`));
  expect(html).toMatch(new RegExp(`id="connect-${fresh}"[^]*?>Connect</button>`));
  expect(html).toContain(
    'signed in as <strong>bob@contoso.com</strong> for mailbox <strong>shared@contoso.com</strong>',
  );
  expect(html).toContain('>not connected<');
});

test('while a poll lease is held the screen says polling or waiting for another process instead of connected, and recovers by itself', async () => {
  const appId = await createApp();
  const here = await createAccount(appId, { mailbox: 'here@contoso.com' });
  const there = await createAccount(appId, { mailbox: 'there@contoso.com' });
  const gone = await createAccount(appId, { mailbox: 'gone@contoso.com' });
  const lapsed = await createAccount(appId, { mailbox: 'lapsed@contoso.com' });
  for (const id of [here, there, gone, lapsed]) await repos.accounts.setStatus(id, { status: 'connected' });
  const now = Date.now();
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
  await repos.accounts.acquireLease(here, newLeaseOwnerId(), now + 60_000, now);
  await repos.accounts.acquireLease(there, 'db-2.example:4242:0a1b2c3d', now + 60_000, now);
  await repos.accounts.acquireLease(gone, `${hostname()}:${deadPid}:0a1b2c3d`, now + 60_000, now);
  await repos.accounts.acquireLease(lapsed, 'db-2.example:4242:0a1b2c3d', now - 1, now - 60_000);
  const { html } = pageOf(await call(ADMIN_ROUTE_IDS.accounts));
  const row = (id: string) => new RegExp(`<tr data-account-id="${id}"[^>]*>[^]*?</tr>`).exec(html)?.[0] ?? '';
  expect(row(here)).toContain('data-activity="polling"');
  expect(row(here)).toContain('>polling</span>');
  expect(row(there)).toContain('>waiting for another process</span>');
  expect(row(there)).toContain('Another host process (host db-2.example, process 4242) holds the poll lease');
  expect(row(gone)).toContain('>waiting for another process</span>');
  expect(row(gone)).toContain('is gone; the next cycle takes its poll lease over');
  expect(row(lapsed)).toContain('>connected</span>');
  expect(row(lapsed)).not.toContain('data-activity');
  for (const id of [here, there, gone]) {
    expect(row(id)).toContain('data-status="connected"');
    expect(row(id)).not.toContain('>connected</span>');
  }
  const detail = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: there } })).html;
  expect(detail).toMatch(/id="account-status" data-status="connected" data-activity="waiting_for_other_process"/);

  // The lease released: connected again, nothing to clear.
  await repos.accounts.releaseLease(there, 'db-2.example:4242:0a1b2c3d');
  const after = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: there } })).html;
  expect(after).toContain('>connected</span>');
  expect(after).not.toContain('data-activity');
});

test('an open app incident is one notice naming how many mailboxes it stops; the accounts say why', async () => {
  const appId = await createApp();
  const stopped = await createAccount(appId, { mailbox: 'stopped@contoso.com' });
  await createAccount(appId, { mailbox: 'new@contoso.com' });
  await repos.accounts.setStatus(stopped, {
    status: 'app_error',
    statusCode: 'ERR_CLIENT_SECRET_EXPIRED',
    statusDetail: 'The provider refused the app registration "Contoso" at a token request: AADSTS7000222.',
  });
  await repos.apps.openIncident(appId, { code: 'ERR_CLIENT_SECRET_EXPIRED', detail: `AADSTS7000222 ${XSS}`, since: 1 });
  const { html } = pageOf(await call(ADMIN_ROUTE_IDS.accounts));
  const notices = html.match(/<div class="notice error app-incident"[^]*?<\/div>/g) ?? [];
  expect(notices).toHaveLength(1);
  expect(notices[0]).toContain(`data-code="ERR_CLIENT_SECRET_EXPIRED"`);
  expect(notices[0]).toContain('It stops 1 mailbox until a token request of the app succeeds again.');
  expect(notices[0]).toContain(`What to do: ${ERROR_CODES.ERR_CLIENT_SECRET_EXPIRED.fix}`);
  expect(html).not.toContain(XSS);
  expect(html).toMatch(new RegExp(`data-account-id="${stopped}" data-status="app_error"`));
  expect(html).toContain('>not connected<');
  await repos.apps.closeIncident(appId);
  expect(pageOf(await call(ADMIN_ROUTE_IDS.accounts)).html).not.toContain('app-incident');
});

test('Connect redirects to the provider; a failing start shows why and keeps the button (never a 500)', async () => {
  const appId = await createApp();
  const accountId = await createAccount(appId);
  expect(await call(ADMIN_ROUTE_IDS.accountConnect, { params: { id: accountId } })).toEqual({
    kind: 'redirect',
    location: 'https://login.example.test/authorize?state=abc',
  });
  expect(connectStart).toHaveBeenCalledWith(accountId, '1');

  connectStart.mockRejectedValueOnce(
    new PluginError('ERR_PROVIDER_UNAVAILABLE', 'Discovery of https://login.example.test failed: HTTP 503.'),
  );
  const failed = pageOf(await call(ADMIN_ROUTE_IDS.accountConnect, { params: { id: accountId } }));
  expect(failed.status).toBe(502);
  expect(failed.html).toContain('Discovery of https://login.example.test failed');
  expect(failed.html).toContain(`id="connect-${accountId}"`);
});

test('Fetch now reports its counts or the error code, and a forged notice cannot inject text', async () => {
  const appId = await createApp();
  const accountId = await createAccount(appId);
  fetchNow.mockResolvedValueOnce({
    accountId,
    mailbox: 'support@contoso.com',
    outcome: 'polled',
    fetched: 3,
    duplicates: 1,
    skipped: 0,
    failed: 0,
    quarantined: 0,
    status: 'connected',
  });
  const done = await call(ADMIN_ROUTE_IDS.accountFetch, { params: { id: accountId } });
  expect(done).toEqual({
    kind: 'redirect',
    location: `/accounts/${accountId}?notice=fetched&fetched=3&duplicates=1&skipped=0&failed=0`,
  });
  const shown = pageOf(
    await call(ADMIN_ROUTE_IDS.accountShow, {
      params: { id: accountId },
      query: { notice: 'fetched', fetched: '3', duplicates: '1' },
    }),
  ).html;
  expect(shown).toContain('3 new messages fetched, 1 duplicate ignored');

  const forged = pageOf(
    await call(ADMIN_ROUTE_IDS.accountShow, {
      params: { id: accountId },
      query: { notice: 'fetch_failed', code: '<script>x</script>' },
    }),
  ).html;
  expect(forged).not.toContain('<script>');
  expect(forged).toContain('Fetch now failed');
});

test('the connection test shows each step', async () => {
  const appId = await createApp();
  const accountId = await createAccount(appId);
  testResult = {
    accountId,
    at: Date.now(),
    ok: false,
    steps: [
      { step: 'token', title: 'Access token', outcome: 'ok', detail: 'A valid access token.', ms: 12 },
      {
        step: 'login',
        title: 'Mail server login',
        outcome: 'failed',
        detail: 'AUTHENTICATE failed.',
        ms: 30,
        error: {
          code: 'ERR_MAIL_AUTH_FAILED',
          message: ERROR_CODES.ERR_MAIL_AUTH_FAILED.message,
          fix: ERROR_CODES.ERR_MAIL_AUTH_FAILED.fix,
        },
      },
      { step: 'folders', title: 'Folder list', outcome: 'skipped', detail: 'Not run: an earlier step failed.', ms: 0 },
      {
        step: 'messages',
        title: 'Message count',
        outcome: 'skipped',
        detail: 'Not run: an earlier step failed.',
        ms: 0,
      },
    ],
  };
  const { html } = pageOf(await call(ADMIN_ROUTE_IDS.accountTest, { params: { id: accountId } }));
  expect(html).toContain('data-step="token" data-outcome="ok"');
  expect(html).toContain('data-step="login" data-outcome="failed"');
  expect(html).toContain('data-step="messages" data-outcome="skipped"');
  expect(html).toContain('(30 ms)');
});

test('deleting needs the confirmation; an app in use is not deleted', async () => {
  const appId = await createApp();
  const accountId = await createAccount(appId);
  expect(pageOf(await call(ADMIN_ROUTE_IDS.accountDelete, { params: { id: accountId }, form: {} })).status).toBe(400);
  expect(await repos.accounts.find(accountId)).not.toBeNull();
  const refused = pageOf(await call(ADMIN_ROUTE_IDS.appDelete, { params: { id: appId }, form: { confirm: 'yes' } }));
  expect(refused.status).toBe(409);
  expect(await repos.apps.find(appId)).not.toBeNull();
  expect(await call(ADMIN_ROUTE_IDS.accountDelete, { params: { id: accountId }, form: { confirm: 'yes' } })).toEqual({
    kind: 'redirect',
    location: '/accounts?notice=account_deleted',
  });
  expect(await call(ADMIN_ROUTE_IDS.appDelete, { params: { id: appId }, form: { confirm: 'yes' } })).toEqual({
    kind: 'redirect',
    location: '/accounts?notice=app_deleted',
  });
});

describe('auth modes, certificates and device sign-in on the screen', () => {
  test('a certificate app: the form shows the certificate fields, the key is never rendered back, the list says Certificate', async () => {
    const certificate = createClientCertificate(tempDir('o2m-admin-cert'), { name: 'admin' });
    const form = pageOf(
      await call(ADMIN_ROUTE_IDS.appNew, { query: { provider: 'microsoft', credential: 'certificate' } }),
    ).html;
    expect(form).toContain('name="clientCertificate"');
    expect(form).toContain('name="clientKey"');
    expect(form).not.toContain('name="clientSecret"');
    expect(form).toContain('Upload certificate');
    expect(form).toContain('id="credential-client_secret"');
    const appId = await createApp({
      credentialType: 'certificate',
      clientSecret: '',
      clientCertificate: certificate.certificatePem,
      clientKey: certificate.privateKeyPem,
    });
    const keyLine = certificate.privateKeyPem.split('\n')[3]!;
    const edit = pageOf(await call(ADMIN_ROUTE_IDS.appEdit, { params: { id: appId } })).html;
    expect(edit).toContain('id="stored-certificate"');
    expect(edit).not.toContain(keyLine);
    const list = pageOf(await call(ADMIN_ROUTE_IDS.accounts)).html;
    expect(list).toMatch(/Certificate<br><span class="badge ok">certificate valid until/);
    const refused = pageOf(
      await call(ADMIN_ROUTE_IDS.appUpdate, {
        params: { id: appId },
        form: microsoftApp({
          credentialType: 'certificate',
          clientSecret: '',
          clientCertificate: 'x',
          clientKey: certificate.privateKeyPem,
        }),
      }),
    );
    expect(refused.html).toMatch(/id="e-clientCertificate"/);
    expect(refused.html).not.toContain(keyLine);
  });

  test('an app-only account: the form offers only apps that can serve it and no delegate box; its page shows the Exchange PowerShell lines with the ids; Connect needs no browser', async () => {
    const appId = await createApp({ servicePrincipalId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
    const form = pageOf(await call(ADMIN_ROUTE_IDS.accountNew, { query: { authMode: 'app_only' } })).html;
    expect(form).toContain('name="authMode" value="app_only"');
    expect(form).not.toContain('name="sharedViaDelegate"');
    const accountId = await createAccount(appId, { authMode: 'app_only', mailbox: 'support@contoso.com' });
    const detail = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: accountId } })).html;
    expect(detail).toContain(
      'New-ServicePrincipal -AppId 11111111-2222-3333-4444-555555555555 -ObjectId aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    );
    expect(detail).toContain(
      'Add-MailboxPermission -Identity support@contoso.com -User aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee -AccessRights FullAccess',
    );
    expect(detail).toContain('User is authenticated but not connected');
    expect(detail).not.toContain('Connect with a code');
    const connected = await call(ADMIN_ROUTE_IDS.accountConnect, { params: { id: accountId } });
    expect(connected).toEqual({ kind: 'redirect', location: `/accounts/${accountId}?notice=connected` });
    expect(appConnect).toHaveBeenCalledWith(accountId, '1');
    expect(connectStart).not.toHaveBeenCalled();
  });

  test('Connect with a code: the page shows where to go and the code and reloads itself; a failure shows the fix and Start again', async () => {
    const appId = await createApp();
    const accountId = await createAccount(appId);
    const view: DeviceSignInView = {
      accountId,
      mailbox: 'support@contoso.com',
      state: 'pending',
      verificationUri: 'https://microsoft.com/devicelogin',
      verificationUriComplete: null,
      userCode: 'ABCD-EFGH',
      expiresAt: Date.now() + 900_000,
      intervalSeconds: 5,
      message: null,
      result: null,
      error: null,
    };
    expect(await call(ADMIN_ROUTE_IDS.accountDevice, { params: { id: accountId } })).toEqual({
      kind: 'redirect',
      location: `/accounts/${accountId}`,
    });
    deviceView = view;
    const started = await call(ADMIN_ROUTE_IDS.accountConnectDevice, { params: { id: accountId } });
    expect(started).toEqual({ kind: 'redirect', location: `/accounts/${accountId}/device` });
    const pending = pageOf(await call(ADMIN_ROUTE_IDS.accountDevice, { params: { id: accountId } })).html;
    expect(pending).toContain('<meta http-equiv="refresh" content="5">');
    expect(pending).toContain('id="user-code">ABCD-EFGH<');
    expect(pending).toContain('href="https://microsoft.com/devicelogin"');
    deviceView = { ...view, state: 'failed', error: { code: 'ERR_DEVICE_CODE_EXPIRED', message: 'expired' } };
    const failed = pageOf(await call(ADMIN_ROUTE_IDS.accountDevice, { params: { id: accountId } })).html;
    expect(failed).toContain('data-code="ERR_DEVICE_CODE_EXPIRED"');
    expect(failed).toContain(ERROR_CODES.ERR_DEVICE_CODE_EXPIRED.fix);
    expect(failed).toContain('id="device-again"');
    deviceView = { ...view, state: 'connected' };
    expect(await call(ADMIN_ROUTE_IDS.accountDevice, { params: { id: accountId } })).toEqual({
      kind: 'redirect',
      location: `/accounts/${accountId}?notice=connected`,
    });
    const detail = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: accountId } })).html;
    expect(detail).toContain('Connect with a code');
  });

  test('an expiring client secret: the banner, and every account of the app says when it stops', async () => {
    const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const appId = await createApp({ secretExpiresAt: soon });
    const accountId = await createAccount(appId);
    const list = pageOf(await call(ADMIN_ROUTE_IDS.accounts)).html;
    expect(list).toContain('class="notice error secret-expiry"');
    expect(list).toContain(`Stops on ${soon}, when the client secret of app &quot;Contoso&quot; expires.`);
    const detail = pageOf(await call(ADMIN_ROUTE_IDS.accountShow, { params: { id: accountId } })).html;
    expect(detail).toContain('data-stage="7"');
  });
});
