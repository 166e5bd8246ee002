import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnexRepositories } from '../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../adapters/knex/migration-source';
import { testDatabases, type TestDatabase } from '../helpers/databases';
import { createTestSecrets } from '../helpers/test-secrets';
import { accountInput, appInput } from './repository-contract-target';
import { NODE_MODULES, transpileForChild } from '../env/transpile-for-child';

/** A child "host process" and its output lines. */
interface Writer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  readonly done: Promise<string>;
}

function startWriter(compiled: string, args: string[]): Writer {
  const child = spawn(process.execPath, [join(__dirname, 'token-writer-process.js'), compiled, ...args], {
    env: { ...process.env, NODE_PATH: NODE_MODULES },
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`writer exited ${code}: ${stderr}`)))),
  );
  // A child that dies before "ready" must not leave the barrier waiting.
  void done.catch(() => markReady());
  return { child, ready, done };
}
const PROCESSES = 3;
const INCREMENTS = 10;

// The host runs several processes on one SQLite file (WAL, busy timeout: sqliteConnectionConfig). PostgreSQL and
// MariaDB serve each process like any other connection: the contract suites cover them with several connections.
describe.each(testDatabases().filter((d) => d.name === 'sqlite'))(
  'several host processes on one $name database',
  (provider) => {
    let db: TestDatabase;
    let compiled: string;
    beforeAll(async () => {
      db = await provider.create();
      await migrateLatest(db.knex);
      compiled = await mkdtemp(join(tmpdir(), 'oauth2-mail-child-'));
      await transpileForChild(
        ['host/create-knex.ts', 'adapters/knex/knex-repositories.ts', 'test/helpers/test-secrets.ts'],
        compiled,
      );
    });
    afterAll(async () => {
      await db?.destroy();
      if (compiled) await rm(compiled, { recursive: true, force: true });
    });

    it('lose no token write: every compare-and-swap lands on the previous one, none fails with SQLITE_BUSY', async () => {
      const key = randomBytes(32);
      const repos = createKnexRepositories({ knex: db.knex, secrets: createTestSecrets(key) });
      const app = await repos.apps.create(appInput());
      const account = await repos.accounts.create(accountInput(app.id));
      await repos.tokens.replace(account.id, {
        accessToken: 'start',
        accessTokenExpiresAt: 1,
        refreshToken: 'refresh-kept',
        scope: null,
        at: 1,
      });

      const writers = Array.from({ length: PROCESSES }, (_, i) =>
        startWriter(compiled, [db.url, account.id, `proc-${i}`, String(INCREMENTS), key.toString('hex')]),
      );
      try {
        await Promise.all(writers.map((w) => w.ready));
        for (const w of writers) w.child.stdin.write('go\n');
        const outputs = await Promise.all(writers.map((w) => w.done));
        for (const output of outputs)
          expect(JSON.parse(output.split('\n')[1])).toEqual({ conflicts: expect.any(Number) });
      } finally {
        for (const w of writers) if (w.child.exitCode === null) w.child.kill();
      }

      const stored = await repos.tokens.find(account.id);
      // Every one of the writes landed on top of the previous one: none was lost.
      expect(stored?.version).toBe(1 + PROCESSES * INCREMENTS);
      expect(stored?.refreshToken).toBe('refresh-kept');
      expect(stored?.accessToken).toMatch(new RegExp(`^proc-\\d-${INCREMENTS - 1}$`));
    });
  },
);
