/**
 * The console end to end, as an admin uses it: `app add` (secret on stdin), `account add`, `account connect --json`,
 * the browser's part at the local provider, the provider's redirect to the RUNNING host's callback, then
 * `account show --json`, `account disconnect`, and bad input refused with a clear message per field.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  completeAuthorization,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from '../host/ensure-build';

jest.setTimeout(120_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
let dir: string;
let db: string;
let server: OAuthServerHandle;
let dovecot: DovecotHandle;
let host: ChildProcess;
let baseUrl: string;
const outputs: string[] = [];

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: server.caCertFile,
    OAUTH2_MAIL_ADMIN_EMAIL: 'admin@example.test',
    OAUTH2_MAIL_ADMIN_PASSWORD: 'admin password 123',
    OAUTH2_MAIL_LOG_LEVEL: 'info',
  };
}

/** Runs one console command; resolves with its exit code and output. */
function cli(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], {
      cwd: REPO_ROOT,
      env: env(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      outputs.push(stdout, stderr);
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = null;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(stdin ?? '');
  });
}

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('oauth-console');
  db = join(dir, 'helpdesk.sqlite');
  server = await startOAuthServer({ profile: 'microsoft', dir });
  dovecot = await startDovecot({ dir, oauth: server });
  host = spawn(process.execPath, [BIN, '--db', db, 'start', '--port', '0'], {
    cwd: REPO_ROOT,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  host.stderr?.on('data', (c: Buffer) => outputs.push(c.toString()));
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start: ${out}`)), 60_000);
    host.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      outputs.push(c.toString());
      const match = /Helpdesk listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  await server.setRedirectUris([`${baseUrl}/plugins/oauth2-mail/callback`]);
});

afterAll(async () => {
  if (host && host.exitCode === null) {
    const exited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGTERM');
    await exited;
  }
  await dovecot?.stop();
  await server?.stop();
});

it("app add, account add, account connect --json, sign-in, the running host's callback, account show --json, disconnect", async () => {
  const secret = server.client.clientSecret;
  const app = await cli(
    [
      '--json',
      'app',
      'add',
      '--provider',
      'microsoft',
      '--name',
      'Contoso (local)',
      '--issuer',
      server.issuer,
      '--client-id',
      server.client.clientId,
      '--client-secret-file',
      '-',
    ],
    `${secret}\n`,
  );
  expect(app.code).toBe(0);
  const appId = (app.json as { id: string }).id;
  expect(app.json).toMatchObject({
    provider: 'microsoft',
    cloud: 'global',
    tenant: 'organizations',
    clientId: server.client.clientId,
  });
  expect(app.stdout).not.toContain(secret);

  const added = await cli([
    '--json',
    'account',
    'add',
    '--app',
    appId,
    '--mailbox',
    'alice@example.test',
    '--host',
    dovecot.host,
    '--port',
    String(dovecot.ports.imaps),
    '--tls',
    'implicit',
    '--post-fetch',
    'keep',
  ]);
  expect(added.code).toBe(0);
  const accountId = (added.json as { id: string }).id;
  expect(added.json).toMatchObject({ mailbox: 'alice@example.test', status: 'not_connected', postFetch: 'keep' });

  // No --base-url: the running host stored the URL it listens on, and the console builds the redirect URI from it.
  const started = await cli(['--json', 'account', 'connect', accountId]);
  expect(started.code).toBe(0);
  expect(started.stderr).not.toContain('no public URL');
  const { authorizationUrl } = started.json as { authorizationUrl: string };
  const url = new URL(authorizationUrl);
  expect(url.searchParams.get('redirect_uri')).toBe(`${baseUrl}/plugins/oauth2-mail/callback`);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');

  const back = await completeAuthorization(authorizationUrl, {
    login: 'alice@example.test',
    password: 'alice-password',
    caCertPem: server.caCertPem,
  });
  expect(back.startsWith(`${baseUrl}/plugins/oauth2-mail/callback?`)).toBe(true);
  // The callback ends on the account's page, with the result as a notice.
  const page = await fetch(back, { redirect: 'manual' });
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toBe(`/plugins/oauth2-mail/accounts/${accountId}?notice=connected`);
  // The same redirect again connects nothing (single-use state): the account's page says the link was used.
  const replay = await fetch(back, { redirect: 'manual' });
  expect(replay.status).toBe(303);
  expect(replay.headers.get('location')).toBe(`/plugins/oauth2-mail/accounts/${accountId}?notice=connect_link_used`);

  const shown = await cli(['--json', 'account', 'show', accountId]);
  expect(shown.code).toBe(0);
  expect(shown.json).toMatchObject({
    id: accountId,
    status: 'connected',
    statusCode: null,
    authorizedIdentity: 'alice@example.test',
    detail: 'Signed in as alice@example.test.',
  });
  expect(shown.json).toHaveProperty('lastPollAt');

  const listed = await cli(['--json', 'account', 'list']);
  expect((listed.json as Array<{ id: string }>).map((a) => a.id)).toEqual([accountId]);

  const appShown = await cli(['--json', 'app', 'show', appId]);
  expect(appShown.json).toMatchObject({
    app: { id: appId },
    accounts: [{ id: accountId, status: 'connected' }],
    registration: {
      redirectUri: `${baseUrl}/plugins/oauth2-mail/callback`,
      credential: { type: 'client_secret', expiresAt: null },
    },
  });
  const appHuman = await cli(['app', 'show', appId]);
  expect(appHuman.stdout).toContain(
    `redirect URI to register at the provider: ${baseUrl}/plugins/oauth2-mail/callback`,
  );
  expect(appHuman.stdout).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');

  const updated = await cli([
    '--json',
    'app',
    'update',
    appId,
    '--name',
    'Contoso renamed',
    '--secret-expires',
    '2099-01-31',
  ]);
  expect(updated.code).toBe(0);
  expect(updated.json).toMatchObject({ id: appId, name: 'Contoso renamed', clientId: server.client.clientId });
  expect(await cli(['app', 'show', appId]).then((r) => r.stdout)).toContain('client secret: expires 2099-01-31');

  const tested = await cli(['--json', 'account', 'test', accountId]);
  expect(tested.code).toBe(0);
  const test = tested.json as { ok: boolean; steps: Array<{ name: string; ok: boolean; ms: number }> };
  expect(test.ok).toBe(true);
  expect(test.steps.map((step) => [step.name, step.ok])).toEqual([
    ['discovery', true],
    ['token', true],
    ['login', true],
    ['folders', true],
    ['messages', true],
    ['header', true],
  ]);
  for (const step of test.steps) expect(step.ms).toBeGreaterThanOrEqual(0);

  // The running host's monitoring: the token created here opens /health and /metrics over HTTP.
  const token = await cli(['--json', 'monitoring', 'token']);
  expect(token.code).toBe(0);
  const { token: monitoringToken } = token.json as { token: string };
  const health = await fetch(`${baseUrl}/plugins/oauth2-mail/health`, {
    headers: { authorization: `Bearer ${monitoringToken}` },
  });
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ database: { ok: true }, accounts: { total: 1 } });
  const healthCli = await cli(['--json', 'health']);
  expect(healthCli.json).toMatchObject({ database: { ok: true }, accounts: { byStatus: { connected: 1 } } });
  expect([0, 1]).toContain(healthCli.code);
  const notifications = await cli(['--json', 'notifications', 'list', '--all']);
  expect(notifications.code).toBe(0);
  expect(Array.isArray(notifications.json)).toBe(true);

  const events = await cli(['--json', 'account', 'events', accountId]);
  expect(events.code).toBe(0);
  const kinds = (events.json as Array<{ kind: string; time: string; text: string }>).map((e) => e.kind);
  expect(kinds).toEqual(expect.arrayContaining(['account_created', 'token_obtained', 'token_refreshed']));
  // The screen's words ride along: a kind as a person reads it, never the raw type.
  const created = (events.json as Array<{ kind: string; what?: string }>).find((e) => e.kind === 'account_created');
  expect(created?.what).toBeTruthy();
  expect(created?.what).not.toBe('account_created');
  const inUse = await cli(['--json', 'app', 'remove', appId]);
  expect(inUse.code).toBe(1);
  expect(inUse.json).toMatchObject({ error: { code: 'ERR_CONFLICT' } });

  const disconnected = await cli(['--json', 'account', 'disconnect', accountId]);
  expect(disconnected.code).toBe(0);
  expect(disconnected.json).toMatchObject({ accountId, revoked: true, revocationSupported: true });
  expect(await cli(['--json', 'account', 'show', accountId]).then((r) => r.json)).toMatchObject({
    status: 'not_connected',
    authorizedIdentity: null,
  });

  for (const text of outputs) expect(text).not.toContain(secret);
});

it('bad input: every invalid field named, nothing created; no secret on the command line', async () => {
  const bad = await cli(
    [
      '--json',
      'app',
      'add',
      '--provider',
      'microsoft',
      '--name',
      'X',
      '--tenant',
      'not a tenant',
      '--issuer',
      'http://idp.example.com',
      '--client-id',
      'c',
      '--client-secret-file',
      '-',
    ],
    's3cret\n',
  );
  expect(bad.code).toBe(1);
  expect(bad.json).toMatchObject({
    error: { code: 'ERR_INPUT_INVALID', details: { fields: ['tenant', 'issuerUrl'] } },
  });
  expect((bad.json as { error: { message: string } }).error.message).toMatch(
    /tenant: must be a tenant GUID.*issuerUrl: must be an https:\/\/ URL/,
  );

  const human = await cli(['account', 'add', '--app', '999', '--mailbox', 'not-an-address']);
  expect(human.code).toBe(1);
  expect(human.stderr).toContain('error [ERR_INPUT_INVALID]: Invalid mail account: mailbox: must be a mail address');

  const noSecret = await cli(
    ['--json', 'app', 'add', '--provider', 'google', '--name', 'G', '--client-id', 'c', '--client-secret-file', '-'],
    '',
  );
  expect(noSecret.code).toBe(1);
  expect(noSecret.json).toMatchObject({ error: { code: 'ERR_INPUT_INVALID' } });

  const apps = await cli(['--json', 'app', 'list']);
  expect((apps.json as Array<{ name: string }>).map((a) => a.name)).toEqual(['Contoso renamed']);
});
