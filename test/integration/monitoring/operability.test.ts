/**
 * Operability against the real host, the real local OAuth server and Dovecot (one of each for the whole file): each
 * failure kind is produced for real, then, within one poll cycle, the account page and Test connection show its code,
 * message and fix, exactly one notification stays open over several cycles, `/health` is degraded with the
 * account's code, `/metrics` counted it, and the account recovers by itself within one cycle of the cause going away.
 * /health and /metrics answer the monitoring token as a Bearer token and nobody else without a session.
 */
import {
  completeAuthorization,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { ERROR_CODES, type HostResponse, type PluginErrorCode } from '../../../plugin/index';
import { openWebHost, type WebHost } from '../host/web-host';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text';

jest.setTimeout(120_000);

const PLUGIN = 'oauth2-mail';
const MAILBOX = 'alice@example.test';
let web: WebHost;
let oauth: OAuthServerHandle;
let dovecot: DovecotHandle;
let appId: string;
let accountId: string;
let monitoringToken: string;

/** Calls a plugin route in process as the first admin (what the console does). */
async function route(method: 'GET' | 'POST', target: string, form: Record<string, string> = {}): Promise<HostResponse> {
  const url = new URL(target, 'http://host.invalid');
  const path = url.pathname;
  const match = web.host.registry.matchRoute(PLUGIN, method, path);
  if (!match) throw new Error(`no route ${method} ${path}`);
  const admin = (await web.host.users.list()).find((user) => user.role === 'admin')!;
  return match.route.handle({
    method,
    params: match.params,
    query: Object.fromEntries(url.searchParams),
    form,
    actor: { id: admin.id, name: admin.email, isAdmin: true },
  });
}

/** The parts of the JSON answers this test reads. */
interface Answer {
  readonly [key: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON read by the test
}

async function json(method: 'GET' | 'POST', path: string, form: Record<string, string> = {}): Promise<Answer> {
  const response = await route(method, path, form);
  if (response.kind !== 'json') throw new Error(`${path} answered ${response.kind}`);
  return response.body as Answer;
}

/** One poll cycle of the account, as the scheduler runs it. */
async function cycle(): Promise<{ outcome: string; status: string; error?: { code: string } }> {
  const report = (await web.host.scheduler.runNow('oauth2-mail.fetch', { accountId })) as {
    accounts: Array<{ outcome: string; status: string; error?: { code: string } }>;
  };
  return report.accounts[0]!;
}

async function monitoring(path: '/health' | '/metrics', token: string | null = monitoringToken) {
  const response = await fetch(`${web.url}/plugins/${PLUGIN}${path}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, text: await response.text() };
}

async function health(): Promise<Answer> {
  const answer = await monitoring('/health');
  return { httpStatus: answer.status, ...JSON.parse(answer.text) };
}

async function failures(code: string): Promise<number> {
  const answer = await monitoring('/metrics');
  expect(answer.status).toBe(200);
  return (
    sampleValue(parsePrometheusText(answer.text), 'oauth2_mail_poll_failures_total', { account: accountId, code }) ?? 0
  );
}

/** The account's open notifications (account incidents and app incidents naming it). */
async function openNotifications(): Promise<Array<{ key: string; message: string; occurrences: number }>> {
  return (await web.host.notifications.list({ all: false })).filter(
    (n) => n.key.includes(`account:${accountId}:`) || n.key.includes(`app:${appId}`),
  );
}

const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Everything an admin and monitoring see while the account fails with `code`. */
async function expectFailingWith(code: PluginErrorCode, failedStep: string): Promise<void> {
  const page = await route('GET', `/accounts/${accountId}`);
  expect(page.kind).toBe('page');
  const html = page.kind === 'page' ? page.html : '';
  expect(html).toContain(escapeHtml(ERROR_CODES[code].fix).slice(0, 60));

  const tested = await json('POST', `/api/accounts/${accountId}/test`);
  expect(tested.test.ok).toBe(false);
  const failed = tested.test.steps.find((step: { ok: boolean; skipped?: boolean }) => !step.ok && !step.skipped);
  expect(failed).toMatchObject({ name: failedStep, code, message: ERROR_CODES[code].message });
  expect(typeof failed.fix).toBe('string');

  // Several more cycles: still one open notification for the incident, counted, not repeated.
  await cycle();
  await cycle();
  const open = await openNotifications();
  expect(open).toHaveLength(1);
  expect(open[0]!.key).toContain(code);

  const answer = await health();
  expect(answer).toMatchObject({ httpStatus: 200, status: 'degraded' });
  expect(answer.accounts.list.find((a: { id: string }) => a.id === accountId)).toMatchObject({ code });
}

async function expectRecovered(): Promise<void> {
  const result = await cycle();
  expect(result).toMatchObject({ outcome: 'polled', status: 'connected' });
  expect(await openNotifications()).toEqual([]);
  const answer = await health();
  expect(answer).toMatchObject({ httpStatus: 200, status: 'ok' });
}

/** Connect through the running host's callback; the callback ends in a redirect to the account's page and its notice. */
async function connect(login = MAILBOX, password = 'alice-password'): Promise<{ notice: string | null; html: string }> {
  const started = await json('POST', `/api/accounts/${accountId}/connect`);
  const back = await completeAuthorization(started.authorizationUrl, { login, password, caCertPem: oauth.caCertPem });
  const answer = await fetch(back, { redirect: 'manual' });
  expect(answer.status).toBe(303);
  const location = new URL(answer.headers.get('location') ?? '', web.url);
  // The account page the admin lands on, as the signed-in admin sees it.
  const page = await route('GET', `${location.pathname.replace(`/plugins/${PLUGIN}`, '')}${location.search}`);
  return { notice: location.searchParams.get('notice'), html: page.kind === 'page' ? page.html : '' };
}

beforeAll(async () => {
  const dir = tempDir('o2m-operability');
  oauth = await startOAuthServer({ profile: 'microsoft', dir });
  dovecot = await startDovecot({ dir, oauth });
  await dovecot.seed(MAILBOX, [Buffer.from('Subject: one\r\nMessage-ID: <one@example.test>\r\n\r\nbody\r\n')]);
  // The scheduler runs (its heartbeat is part of the health answer); the test's own cycles run in between.
  web = await openWebHost({ plugin: true, host: { scheduler: { firstRunDelayMs: 0 } } });
  await web.host.plugins.setConfig(PLUGIN, {
    token: { caCertPem: oauth.caCertPem },
    fetch: { caCertPem: oauth.caCertPem },
  });
  await oauth.setRedirectUris([`${web.url}/plugins/${PLUGIN}/callback`]);
  web.host.startScheduler();
  const app = await json('POST', '/api/apps', {
    name: 'Local Microsoft',
    provider: 'microsoft',
    issuerUrl: oauth.issuer,
    clientId: oauth.client.clientId,
    clientSecret: oauth.client.clientSecret,
  });
  appId = app.app.id;
  const account = await json('POST', '/api/accounts', {
    appId,
    mailbox: MAILBOX,
    host: dovecot.host,
    port: String(dovecot.ports.imaps),
    tls: 'implicit',
    folder: 'INBOX',
    postFetch: 'keep',
    initialSync: 'all',
  });
  accountId = account.account.id;
  expect((await connect()).notice).toBe('connected');
  monitoringToken = await web.host.settings.replaceMonitoringToken();
  // Wait for the scheduler's first run of the fetch task (its heartbeat), however long that takes.
  while (!web.host.scheduler.list().some((task) => task.id === 'oauth2-mail.fetch' && task.runs > 0))
    await new Promise((resolve) => setTimeout(resolve, 50));
}, 90_000);

afterAll(async () => {
  await web?.stop();
  await dovecot?.stop();
  await oauth?.stop();
});

it('health, metrics: the monitoring token or nothing; healthy at first; Prometheus text', async () => {
  expect((await monitoring('/health', null)).status).toBe(401);
  expect((await monitoring('/metrics', 'not-the-token')).status).toBe(401);
  expect(await cycle()).toMatchObject({ outcome: 'polled', status: 'connected' });
  const answer = await health();
  expect(answer).toMatchObject({
    httpStatus: 200,
    status: 'ok',
    database: { ok: true },
    scheduler: { ok: true },
    accounts: { total: 1, byStatus: { connected: 1 } },
  });
  expect(answer.accounts.list[0]).toMatchObject({ id: accountId, code: null });
  expect(answer.accounts.list[0].lastSuccessfulPollAgeSeconds).toBeGreaterThanOrEqual(0);

  const metrics = parsePrometheusText((await monitoring('/metrics')).text);
  expect(sampleValue(metrics, 'oauth2_mail_messages_total', { account: accountId, outcome: 'ingested' })).toBe(1);
  expect(sampleValue(metrics, 'oauth2_mail_accounts', { status: 'connected' })).toBe(1);
  expect(sampleValue(metrics, 'oauth2_mail_token_requests_total', { grant: 'authorization_code', result: 'ok' })).toBe(
    1,
  );
  expect(metrics.types.get('oauth2_mail_poll_duration_seconds')).toBe('histogram');
  expect(
    sampleValue(metrics, 'oauth2_mail_seconds_since_last_successful_poll', { account: accountId }),
  ).toBeGreaterThanOrEqual(0);
  const healthz = await fetch(`${web.url}/healthz`);
  expect([healthz.status, await healthz.json()]).toEqual([200, { ok: true, database: 'ok' }]);
});

it('Dovecot stopped, then started: a closed port, told as such; recovers by itself', async () => {
  await dovecot.halt();
  expect(await cycle()).toMatchObject({
    outcome: 'failed',
    status: 'retrying',
    error: { code: 'ERR_MAIL_PORT_CLOSED' },
  });
  expect(await failures('ERR_MAIL_PORT_CLOSED')).toBeGreaterThanOrEqual(1);
  await expectFailingWith('ERR_MAIL_PORT_CLOSED', 'login');
  await dovecot.restart();
  await expectRecovered();
});

it('the grant revoked at the provider: needs re-authorization, one notification; Connect again recovers', async () => {
  await oauth.revokeUser(MAILBOX);
  expect(await cycle()).toMatchObject({
    outcome: 'failed',
    status: 'needs_reauth',
    error: { code: 'ERR_GRANT_INVALID' },
  });
  expect(await failures('ERR_GRANT_INVALID')).toBeGreaterThanOrEqual(1);
  await expectFailingWith('ERR_GRANT_INVALID', 'token');
  expect((await connect()).notice).toBe('connected');
  await expectRecovered();
});

it('an untrusted CA for the mail server: ERR_MAIL_TLS naming the CA setting; trusting it again recovers', async () => {
  await web.host.plugins.setConfig(PLUGIN, { token: { caCertPem: oauth.caCertPem } });
  expect(await cycle()).toMatchObject({ outcome: 'failed', status: 'retrying', error: { code: 'ERR_MAIL_TLS' } });
  expect(await failures('ERR_MAIL_TLS')).toBeGreaterThanOrEqual(1);
  expect(ERROR_CODES.ERR_MAIL_TLS.fix).toContain('fetch.caCertPem');
  await expectFailingWith('ERR_MAIL_TLS', 'login');
  await web.host.plugins.setConfig(PLUGIN, {
    token: { caCertPem: oauth.caCertPem },
    fetch: { caCertPem: oauth.caCertPem },
  });
  await expectRecovered();
});

it("an untrusted provider certificate: named, with token.caCertPem, never 'nothing to do'", async () => {
  await web.host.plugins.setConfig(PLUGIN, { fetch: { caCertPem: oauth.caCertPem } });
  const tested = await json('POST', `/api/accounts/${accountId}/test`);
  expect(tested.test.steps.map((step: { name: string; ok: boolean }) => [step.name, step.ok])[0]).toEqual([
    'discovery',
    false,
  ]);
  const failed = tested.test.steps[0];
  expect(failed).toMatchObject({ code: 'ERR_PROVIDER_TLS' });
  expect(failed.fix).toContain('token.caCertPem');
  expect(failed.fix).not.toMatch(/nothing to do/i);
  await web.host.plugins.setConfig(PLUGIN, {
    token: { caCertPem: oauth.caCertPem },
    fetch: { caCertPem: oauth.caCertPem },
  });
  expect((await json('POST', `/api/accounts/${accountId}/test`)).test.ok).toBe(true);
});

it('a wrong client secret: shown at once; one app notification naming its account; recovers', async () => {
  const appForm = {
    name: 'Local Microsoft',
    provider: 'microsoft',
    issuerUrl: oauth.issuer,
    clientId: oauth.client.clientId,
  };
  await json('POST', `/api/apps/${appId}/update`, { ...appForm, clientSecret: 'not-the-secret' });
  const tested = await json('POST', `/api/accounts/${accountId}/test`);
  const failed = tested.test.steps.find((step: { name: string }) => step.name === 'token');
  expect(failed).toMatchObject({ ok: false, code: 'ERR_CLIENT_INVALID', fix: ERROR_CODES.ERR_CLIENT_INVALID.fix });
  await cycle();
  await cycle();
  const open = await openNotifications();
  expect(open.map((n) => n.key)).toEqual([`oauth2-mail:app:${appId}:ERR_CLIENT_INVALID`]);
  expect(open[0]!.message).toContain(MAILBOX);
  const answer = await health();
  expect(answer).toMatchObject({ httpStatus: 200, status: 'degraded' });
  expect(answer.accounts.list[0]).toMatchObject({ status: 'app_error', code: 'ERR_CLIENT_INVALID' });
  const metrics = parsePrometheusText((await monitoring('/metrics')).text);
  expect(
    sampleValue(metrics, 'oauth2_mail_token_requests_total', { grant: 'refresh_token', result: 'ERR_CLIENT_INVALID' }),
  ).toBeGreaterThanOrEqual(1);

  await json('POST', `/api/apps/${appId}/update`, { ...appForm, clientSecret: oauth.client.clientSecret });
  await expectRecovered();
});

it('the token endpoint answering garbage: the stored token keeps mail flowing; the test says so', async () => {
  await oauth.fault('html', 1);
  const tested = await json('POST', `/api/accounts/${accountId}/test`);
  const failed = tested.test.steps.find((step: { name: string }) => step.name === 'token');
  expect(failed).toMatchObject({ ok: false });
  expect(['ERR_TOKEN_RESPONSE_INVALID', 'ERR_PROVIDER_UNAVAILABLE']).toContain(failed.code);
  expect(failed.fix).not.toMatch(/^Nothing to do/);
  await oauth.resetStats();
  await expectRecovered();
});

it('a token without the mail scope: the fix for the missing scope, not for IMAP off', async () => {
  const appForm = {
    name: 'Local Microsoft',
    provider: 'microsoft',
    issuerUrl: oauth.issuer,
    clientId: oauth.client.clientId,
  };
  await json('POST', `/api/apps/${appId}/update`, { ...appForm, scopes: 'openid offline_access email' });
  expect((await connect()).notice).toBe('connected');
  // Dovecot calls a token that names no mailbox a "Temporary authentication failure"; the poll reports what the
  // server said, Test connection knows better from the granted scope.
  expect(await cycle()).toMatchObject({
    outcome: 'failed',
    status: 'retrying',
    error: { code: 'ERR_MAIL_UNAVAILABLE' },
  });
  expect(await failures('ERR_MAIL_UNAVAILABLE')).toBeGreaterThanOrEqual(1);
  const tested = await json('POST', `/api/accounts/${accountId}/test`);
  const login = tested.test.steps.find((step: { name: string }) => step.name === 'login');
  expect(login).toMatchObject({ ok: false, code: 'ERR_MAIL_AUTH_FAILED' });
  expect(login.fix).toBe(ERROR_CODES.ERR_MAIL_AUTH_FAILED.causes.scope_missing.fix);
  await cycle();
  expect((await openNotifications()).map((n) => n.key)).toEqual([
    `oauth2-mail:account:${accountId}:ERR_MAIL_UNAVAILABLE`,
  ]);
  expect((await health()).accounts.list[0]).toMatchObject({ code: 'ERR_MAIL_UNAVAILABLE' });

  await json('POST', `/api/apps/${appId}/update`, { ...appForm, scopes: '' });
  expect((await connect()).notice).toBe('connected');
  await expectRecovered();
});

it('another identity at Connect: refused with reason and fix; the account keeps working', async () => {
  const refused = await connect('bob@example.test', 'bob-password');
  expect(refused.notice).toBe('connect_failed');
  // The notice carries what exactly went wrong (from the account's history: who signed in) and the table's fix.
  expect(refused.html).toContain('bob@example.test');
  expect(refused.html).toContain(escapeHtml(ERROR_CODES.ERR_IDENTITY_MISMATCH.fix));
  await expectRecovered();
});
