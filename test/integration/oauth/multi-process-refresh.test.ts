/**
 * N real host processes (child_process.fork of a worker compiled with tsc) share one database and ask for the
 * same account's token at the moment it expired: exactly one token request reaches the OAuth server, and every
 * process gets the new token. Run on SQLite (one file, WAL) and on PostgreSQL (skipped loudly when absent).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startOAuthServer, tempDir, type OAuthServerHandle } from '../../helpers/test-env';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { buildCore, connect, createApp, expireStoredToken, type Core } from './harness';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '../../..');
const BUILD_DIR = join(ROOT, '.test-env', `h4-oauth-build-${process.pid}`);
const PROCESSES = 4;
const ENTRIES = [
  'host/create-knex.ts',
  'plugin/main.ts',
  'test/helpers/test-plugin-host.ts',
  'test/helpers/test-secrets.ts',
];

interface WorkerResult {
  readonly pid: number;
  readonly tokenSha?: string;
  readonly error?: { code: string; message: string };
}

const databases = testDatabases().filter((db) => db.name === 'sqlite' || db.name === 'postgres');
let server: OAuthServerHandle;

beforeAll(async () => {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--outDir',
      BUILD_DIR,
      '--rootDir',
      ROOT,
      '--module',
      'commonjs',
      '--moduleResolution',
      'node10',
      '--target',
      'ES2022',
      '--esModuleInterop',
      '--resolveJsonModule',
      '--skipLibCheck',
      '--types',
      'node',
      ...ENTRIES.map((e) => join(ROOT, e)),
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  server = await startOAuthServer({
    profile: 'microsoft',
    dir: tempDir('oauth-multi'),
    redirectUris: [TEST_REDIRECT_URI],
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(BUILD_DIR, { recursive: true, force: true });
});

describe.each(databases)('$name', (provider) => {
  let db: TestDatabase;
  let core: Core;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    db = await provider.create();
    core = await buildCore(db.knex, server);
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    await db?.destroy();
  });

  it(`${PROCESSES} processes, one expired token: exactly one token request, every process gets the new token`, async () => {
    const appId = await createApp(core, server);
    const account = await core.services.accounts.create(
      { appId, mailbox: 'alice@example.test', host: '127.0.0.1', port: '993' },
      'admin-1',
    );
    const { result } = await connect(core, server, account.id, 'alice@example.test');
    expect(result).toMatchObject({ accountId: account.id });
    const before = (await core.repositories.tokens.find(account.id))!;
    await expireStoredToken(db.knex, account.id);

    const ready: Array<Promise<void>> = [];
    const results: Array<Promise<WorkerResult>> = [];
    for (let i = 0; i < PROCESSES; i++) {
      const worker = fork(join(__dirname, 'token-worker.js'), [], {
        env: {
          ...process.env,
          O2M_BUILD_DIR: BUILD_DIR,
          O2M_DB_URL: db.url,
          O2M_SECRET_KEY: core.secretKey.toString('base64'),
          O2M_CA_PEM: server.caCertPem,
          O2M_REDIRECT_URI: TEST_REDIRECT_URI,
          O2M_ACCOUNT_ID: account.id,
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
        }),
      );
      results.push(
        new Promise((resolve) =>
          worker.on('message', (message: { type: string } & WorkerResult) => {
            if (message.type === 'result') resolve(message);
          }),
        ),
      );
    }
    await Promise.all(ready);
    await server.resetStats();
    for (const worker of workers) worker.send({ type: 'go' });
    const answers = await Promise.all(results);

    const stats = await server.stats();
    const after = (await core.repositories.tokens.find(account.id))!;
    const expected = createHash('sha256').update(after.accessToken).digest('hex');
    // The numbers for the report.
    console.log(
      `[${provider.name}] ${PROCESSES} processes at expiry: tokenRequests=${stats.tokenRequests} refreshRequests=${stats.refreshRequests}, processes with the new token=${answers.filter((a) => a.tokenSha === expected).length}/${PROCESSES}`,
    );
    expect(answers.map((a) => a.error ?? null)).toEqual(Array(PROCESSES).fill(null));
    expect(stats.refreshRequests).toBe(1);
    expect(stats.tokenRequests).toBe(1);
    expect(answers.map((a) => a.tokenSha)).toEqual(Array(PROCESSES).fill(expected));
    expect(after.version).toBe(before.version + 1);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated, and stored once
  });
});
