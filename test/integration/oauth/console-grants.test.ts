/**
 * The console with the new grants, as an admin uses it: `app add` with a certificate and its key, or a service
 * account's key file (never argv); `account add --auth app-only|service-account`; `account connect ID --json`
 * without a browser; `account connect ID --device --json` (first line the code, then the account once the sign-in on
 * another device is approved; denied ends with the error and exit code 1). Keys never in the output or the database
 * file in plain text.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  completeDeviceAuthorization,
  createClientCertificate,
  privateKeyJwtMetadata,
  startDovecot,
  startOAuthServer,
  tempDir,
  type ClientCertificate,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from '../host/ensure-build';

jest.setTimeout(150_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
let dir: string;
let db: string;
let microsoft: OAuthServerHandle;
let google: OAuthServerHandle;
let exchange: DovecotHandle;
let gmail: DovecotHandle;
let certificate: ClientCertificate;
const outputs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: unknown;
}

/** Spawns one console command; `onLine` sees each stdout line as it arrives. */
function cli(args: string[], options: { stdin?: string; onLine?: (line: string) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_EXTRA_CA_CERTS: microsoft.caCertFile,
        OAUTH2_MAIL_LOG_LEVEL: 'info',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        options.onLine?.(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
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
    child.stdin.end(options.stdin ?? '');
  });
}

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('oauth-console-grants');
  db = join(dir, 'helpdesk.sqlite');
  certificate = createClientCertificate(join(dir, 'certs'), { name: 'app' });
  [microsoft, google] = await Promise.all([
    startOAuthServer({
      profile: 'microsoft',
      dir,
      clients: [
        { appMailboxes: ['shared@example.test'] },
        { metadata: privateKeyJwtMetadata(certificate), appMailboxes: ['shared@example.test'] },
      ],
      deviceFlow: { intervalSeconds: 1 },
    }),
    startOAuthServer({ profile: 'google', dir, serviceAccounts: [{}] }),
  ]);
  [exchange, gmail] = await Promise.all([
    startDovecot({ dir, oauth: microsoft }),
    startDovecot({ dir, oauth: google }),
  ]);
});

afterAll(async () => {
  await Promise.all([exchange?.stop(), gmail?.stop(), microsoft?.stop(), google?.stop()]);
});

function mailServer(dovecot: DovecotHandle): string[] {
  return ['--host', dovecot.host, '--port', String(dovecot.ports.imaps), '--tls', 'implicit'];
}

const keyLine = (pem: string) => pem.split('\n')[3] ?? pem;

it('app add with a certificate and its key; account add --auth app-only; account connect --json: connected without a browser, or the error', async () => {
  const app = await cli([
    '--json',
    'app',
    'add',
    '--provider',
    'microsoft',
    '--name',
    'Contoso app-only',
    '--tenant',
    microsoft.tenant!,
    '--issuer',
    microsoft.issuer,
    '--client-id',
    microsoft.clients[1]!.clientId,
    '--client-certificate-file',
    certificate.certificateFile,
    '--client-key-file',
    certificate.keyFile,
  ]);
  expect(app.code).toBe(0);
  expect(app.json).toMatchObject({ credentialType: 'certificate', certificateExpiresAt: expect.any(Number) });
  const appId = (app.json as { id: string }).id;

  const added = await cli([
    '--json',
    'account',
    'add',
    '--app',
    appId,
    '--mailbox',
    'shared@example.test',
    '--auth',
    'app-only',
    ...mailServer(exchange),
  ]);
  expect(added.json).toMatchObject({ authMode: 'app_only', status: 'not_connected' });
  const connected = await cli(['--json', 'account', 'connect', (added.json as { id: string }).id]);
  expect(connected.code).toBe(0);
  expect(connected.json).toMatchObject({ mailbox: 'shared@example.test', status: 'connected', authMode: 'app_only' });

  const other = await cli([
    '--json',
    'account',
    'add',
    '--app',
    appId,
    '--mailbox',
    'alice@example.test',
    '--auth',
    'app-only',
    ...mailServer(exchange),
  ]);
  const refused = await cli(['--json', 'account', 'connect', (other.json as { id: string }).id]);
  expect(refused.code).toBe(1);
  expect(refused.json).toMatchObject({ error: { code: 'ERR_APP_MAILBOX_ACCESS_DENIED' } });

  const two = await cli([
    '--json',
    'app',
    'add',
    '--provider',
    'microsoft',
    '--name',
    'Both',
    '--client-id',
    'x',
    '--client-secret-file',
    '-',
    '--client-key-file',
    certificate.keyFile,
  ]);
  expect(two.code).toBe(1);
  expect(two.json).toMatchObject({
    error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('one credential') },
  });
});

it('app add --service-account-key-file (client id from the file); account add --auth service-account; connect acts for the mailbox', async () => {
  const keyFile = join(dir, 'service-account.json');
  writeFileSync(keyFile, JSON.stringify(google.serviceAccounts[0]!.keyFile), { mode: 0o600 });
  const app = await cli([
    '--json',
    'app',
    'add',
    '--provider',
    'google',
    '--name',
    'Workspace',
    '--issuer',
    google.issuer,
    '--service-account-key-file',
    keyFile,
  ]);
  expect(app.code).toBe(0);
  expect(app.json).toMatchObject({
    credentialType: 'service_account',
    clientId: google.serviceAccounts[0]!.clientId,
    serviceAccountEmail: google.serviceAccounts[0]!.email,
  });
  const added = await cli([
    '--json',
    'account',
    'add',
    '--app',
    (app.json as { id: string }).id,
    '--mailbox',
    'bob@example.test',
    '--auth',
    'service-account',
    ...mailServer(gmail),
  ]);
  const connected = await cli(['--json', 'account', 'connect', (added.json as { id: string }).id]);
  expect(connected.code).toBe(0);
  expect(connected.json).toMatchObject({ status: 'connected', authMode: 'service_account' });
  const human = await cli(['account', 'show', (added.json as { id: string }).id]);
  expect(human.stdout).toContain('tokens: service-account');
});

it('account connect --device --json: the first line is the code, then the account once approved; denied exits 1 with the error', async () => {
  const app = await cli(
    [
      '--json',
      'app',
      'add',
      '--provider',
      'microsoft',
      '--name',
      'Contoso delegated',
      '--issuer',
      microsoft.issuer,
      '--client-id',
      microsoft.client.clientId,
      '--client-secret-file',
      '-',
    ],
    { stdin: `${microsoft.client.clientSecret}\n` },
  );
  const appId = (app.json as { id: string }).id;
  const account = async (mailbox: string) => {
    // A mailbox is configured once: the earlier test's account of it goes first.
    const listed = (await cli(['--json', 'account', 'list'])).json as Array<{ id: string; mailbox: string }>;
    for (const existing of listed.filter((a) => a.mailbox === mailbox))
      expect((await cli(['--json', 'account', 'remove', existing.id])).code).toBe(0);
    return (
      (await cli(['--json', 'account', 'add', '--app', appId, '--mailbox', mailbox, ...mailServer(exchange)])).json as {
        id: string;
      }
    ).id;
  };

  const signIn = async (accountId: string, login: string, deny: boolean) => {
    let first: Record<string, unknown> | null = null;
    let signedIn: Promise<void> = Promise.resolve();
    const run = await cli(['--json', 'account', 'connect', accountId, '--device'], {
      onLine: (line) => {
        if (first) return;
        first = JSON.parse(line) as Record<string, unknown>;
        signedIn = completeDeviceAuthorization(String(first.verificationUri), String(first.userCode), {
          login,
          password: `${login.split('@')[0]}-password`,
          caCertPem: microsoft.caCertPem,
          deny,
        });
      },
    });
    await signedIn;
    return { run, first: first as Record<string, unknown> | null };
  };

  const alice = await account('alice@example.test');
  const approved = await signIn(alice, 'alice@example.test', false);
  expect(Object.keys(approved.first ?? {})).toEqual(['verificationUri', 'userCode', 'expiresAt']);
  expect(approved.first).toMatchObject({ verificationUri: microsoft.endpoints.deviceVerification });
  expect(approved.run.code).toBe(0);
  const rest = approved.run.stdout.slice(approved.run.stdout.indexOf('\n') + 1);
  expect(JSON.parse(rest)).toMatchObject({
    id: alice,
    status: 'connected',
    authorizedIdentity: 'alice@example.test',
  });

  const bob = await account('bob@example.test');
  const denied = await signIn(bob, 'bob@example.test', true);
  expect(denied.run.code).toBe(1);
  const last = denied.run.stdout.trim().split('\n').pop()!;
  expect(JSON.parse(last)).toMatchObject({ error: { code: 'ERR_AUTHORIZATION_DENIED' } });
});

it('no private key, key file or secret in the output or the database file', () => {
  const database = [db, `${db}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('');
  for (const secret of [
    keyLine(certificate.privateKeyPem),
    keyLine(google.serviceAccounts[0]!.privateKeyPem),
    microsoft.client.clientSecret,
  ]) {
    expect(database).not.toContain(secret);
    for (const text of outputs) expect(text).not.toContain(secret);
  }
});
