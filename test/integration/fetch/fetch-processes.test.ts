// Real host processes (`oauth2-mail poll --once`, the console) against real Dovecot and the OAuth server:
// kill -9 in the middle of a batch then a restart (SQLite), and two processes polling the same accounts at
// once (PostgreSQL). Every message exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { HostApp } from '../../../host/host-app';
import { createLogger } from '../../../host/logger';
import { AesGcmSecrets } from '../../../host/secrets';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import {
  DEFAULT_USERS,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from '../host/ensure-build';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { numberedMessage, sha256 } from './mail-corpus';

const SECRET_KEY = randomBytes(32);
const PLUGIN_CONFIG = { allowInsecureLoopback: true, fetch: { batchSize: 25, accountTimeoutSeconds: 120 } };

let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;

interface PollRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Spawns `oauth2-mail --db <url> --json poll --once` as a separate host process. */
function pollProcess(url: string): PollRun {
  return cli(url, ['poll', '--once']);
}

/**
 * Spawns `oauth2-mail --db <url> --json <args>`; `trustCaByEnv: false` leaves NODE_EXTRA_CA_CERTS out, `logLevel`
 * (default warn) sets the host's log level.
 */
function cli(url: string, args: string[], trustCaByEnv = true, logLevel = 'warn'): PollRun {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'oauth2-mail.js'), '--db', url, '--json', ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      OAUTH2_MAIL_SECRET_KEY: SECRET_KEY.toString('base64'),
      NODE_EXTRA_CA_CERTS: trustCaByEnv ? oauthServer.caCertFile : '',
      OAUTH2_MAIL_LOG_LEVEL: logLevel,
      OAUTH2_MAIL_ADMIN_EMAIL: 'admin@fetch.test',
      OAUTH2_MAIL_ADMIN_PASSWORD: 'fetch test admin password',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}

interface PolledAccount {
  accountId: string;
  outcome: string;
  fetched: number;
  duplicates: number;
  failed: number;
  status: string;
}

async function pollReport(run: PollRun): Promise<PolledAccount[]> {
  const { code, stdout, stderr } = await run.done;
  if (code !== 0) throw new Error(`poll --once exited ${code}: ${stderr || stdout}`);
  return (JSON.parse(stdout) as { accounts: PolledAccount[] }).accounts;
}

/** Installs the plugin into the host database (as `oauth2-mail plugin install` does), then builds the test's view of it. */
async function prepare(db: TestDatabase, config: Record<string, unknown> = PLUGIN_CONFIG): Promise<FetchWorld> {
  const host = await HostApp.open({
    db: db.url,
    env: { OAUTH2_MAIL_SECRET_KEY: SECRET_KEY.toString('base64') },
    logger: createLogger({ level: 'silent' }),
  });
  try {
    await host.plugins.install(REPO_ROOT, { config });
  } finally {
    await host.stop();
  }
  return createFetchWorld({
    knex: db.knex,
    oauthServer,
    dovecot,
    migrated: true,
    secrets: new AesGcmSecrets([SECRET_KEY]),
    config,
  });
}

async function messageIds(knex: Knex, accountId?: string): Promise<string[]> {
  const query = knex('host_tickets').select('message_id').orderBy('id', 'asc');
  if (accountId) query.where({ account_id: accountId });
  return ((await query) as { message_id: string }[]).map((row) => row.message_id);
}

beforeAll(async () => {
  ensureBuilt();
  const dir = tempDir('o2m-fetch-proc');
  const extra = ['nina', 'omar', 'pia', 'tara', 'paul'].map((name) => ({
    login: `${name}@example.test`,
    email: `${name}@example.test`,
    password: `${name}-password`,
    name,
  }));
  oauthServer = await startOAuthServer({
    profile: 'microsoft',
    dir,
    users: [...DEFAULT_USERS, ...extra],
    redirectUris: [TEST_REDIRECT_URI],
  });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
}, 180_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
});

describe('host processes', () => {
  it('kill -9 of a host process in the middle of a batch, then a restart: no message lost, none duplicated (SQLite)', async () => {
    const db = await testDatabases()
      .find((p) => p.name === 'sqlite')!
      .create();
    try {
      const world = await prepare(db);
      const total = 200;
      const seeded = Array.from({ length: total }, (_v, i) => numberedMessage(i + 1, 'kill').raw);
      await dovecot.seed('alice@example.test', seeded);
      const account = await world.addAccount('alice@example.test');

      const first = pollProcess(db.url);
      let atKill = 0;
      for (;;) {
        atKill = await world.tickets.count();
        if (atKill >= 60) break;
        const exited = await Promise.race([
          first.done.then(() => true),
          new Promise((r) => setTimeout(r, 20)).then(() => false),
        ]);
        if (exited) throw new Error(`poll finished before it could be killed: ${(await first.done).stderr}`);
      }
      first.child.kill('SIGKILL');
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      const afterKill = await world.tickets.count();
      const ledgerAfterKill = (await db.knex('oauth2_mail_deliveries').count({ n: '*' }).first()) as {
        n: number | string;
      };
      // The dead process's lease is still in the row, unexpired: the restart (same host, its pid gone) takes it over
      // in its first cycle instead of waiting for it to lapse.
      const leaseAfterKill = (await db
        .knex('oauth2_mail_accounts')
        .where({ id: Number(account.id) })
        .first()) as {
        lease_owner: string | null;
        lease_until: number | string | null;
      };
      expect(leaseAfterKill.lease_owner).toMatch(new RegExp(`:${first.child.pid}:`));
      expect(Number(leaseAfterKill.lease_until)).toBeGreaterThan(Date.now());

      const [restart] = await pollReport(pollProcess(db.url));
      expect(restart).toMatchObject({ accountId: account.id, outcome: 'polled', failed: 0, status: 'connected' });
      const ids = await messageIds(db.knex, account.id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expect(new Set(ids)).toEqual(new Set(seeded.map((_raw, i) => `<kill-${i + 1}@example.test>`)));
      const shas = (
        (await db.knex('host_tickets').select('sha256').where({ account_id: account.id })) as { sha256: string }[]
      )
        .map((r) => r.sha256)
        .sort();
      expect(shas).toEqual(seeded.map((raw) => sha256(raw)).sort());
      expect(restart.fetched + afterKill).toBe(total);
      // A crash re-ingests at most the batch in flight: the tickets ran ahead of the ledger by at most one batch
      // (batchSize 25), and the restart handed the host at most those again, which it answered as duplicates.
      expect(afterKill - Number(ledgerAfterKill.n)).toBeLessThanOrEqual(PLUGIN_CONFIG.fetch.batchSize);
      expect(restart.duplicates).toBeLessThanOrEqual(PLUGIN_CONFIG.fetch.batchSize);
      expect(restart.duplicates).toBe(afterKill - Number(ledgerAfterKill.n));
      const states = (await db.knex('oauth2_mail_deliveries').where({ account_id: account.id }).select('state')) as {
        state: string;
      }[];
      expect(states).toHaveLength(total);
      expect(states.every((s) => s.state === 'post_action_done')).toBe(true);
      const [again] = await pollReport(pollProcess(db.url));
      expect(again).toMatchObject({ fetched: 0, duplicates: 0 });
      // The counter counts what the host was handed, the killed poll's messages included.
      expect(await world.repositories.accounts.find(account.id)).toMatchObject({ messagesFetched: total });
      const listed = await cli(db.url, ['tickets', 'list', '--account', account.id]).done;
      expect(listed.code).toBe(0);
      const { tickets } = JSON.parse(listed.stdout) as {
        tickets: {
          id: string;
          accountId: string;
          dedupeKey: string;
          messageId: string;
          subject: string;
          size: number;
          sha256: string;
        }[];
      };
      expect(tickets).toHaveLength(total);
      expect(tickets.map((t) => t.sha256).sort()).toEqual(shas);
      expect(tickets[0]).toMatchObject({
        accountId: account.id,
        messageId: '<kill-1@example.test>',
        subject: 'kill message 1',
        size: seeded[0].length,
      });
      expect(tickets[0].dedupeKey).toMatch(new RegExp(`^${account.id}:[0-9a-f]{64}$`));
      console.log(
        `kill -9: ${atKill} tickets seen when killed, ${afterKill} after the kill (ledger rows ${Number(ledgerAfterKill.n)}); restart fetched ${restart.fetched}, re-ingested ${restart.duplicates} already-ticketed message(s); tickets ${ids.length} of ${total} seeded, unique Message-IDs ${new Set(ids).size}, duplicates 0`,
      );
    } finally {
      await db.destroy();
    }
  }, 120_000);

  it('POP3: kill -9 of a host process mid-batch, then a restart: none lost, none duplicated (SQLite)', async () => {
    const db = await testDatabases()
      .find((p) => p.name === 'sqlite')!
      .create();
    try {
      const world = await prepare(db);
      const total = 120;
      const mailbox = 'paul@example.test';
      const seeded = Array.from({ length: total }, (_v, i) => numberedMessage(i + 1, 'pop3kill').raw);
      await dovecot.seed(mailbox, seeded);
      const account = await world.addAccount(mailbox, {
        protocol: 'pop3',
        port: dovecot.ports.pop3s,
        initialSync: undefined,
        postFetch: 'delete',
      });
      const first = pollProcess(db.url);
      let atKill = 0;
      for (;;) {
        atKill = await world.tickets.count();
        if (atKill >= 30) break;
        const exited = await Promise.race([
          first.done.then(() => true),
          new Promise((r) => setTimeout(r, 20)).then(() => false),
        ]);
        if (exited) throw new Error(`poll finished before it could be killed: ${(await first.done).stderr}`);
      }
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const afterKill = await world.tickets.count();
      // Killed before QUIT: the DELEs it sent were never committed, every message is still on the server.
      expect((await dovecot.status(mailbox)).messages).toBe(total);

      const [restart] = await pollReport(pollProcess(db.url));
      expect(restart).toMatchObject({ accountId: account.id, outcome: 'polled', failed: 0, status: 'connected' });
      expect(restart.fetched + afterKill).toBe(total);
      expect((await dovecot.status(mailbox)).messages).toBe(0);
      const ids = await messageIds(db.knex, account.id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids)).toEqual(new Set(seeded.map((_raw, i) => `<pop3kill-${i + 1}@example.test>`)));
      const [again] = await pollReport(pollProcess(db.url));
      expect(again).toMatchObject({ fetched: 0, duplicates: 0 });
      expect(await world.repositories.accounts.find(account.id)).toMatchObject({ messagesFetched: total });
      console.log(
        `POP3 kill -9: ${atKill} tickets seen when killed, ${afterKill} after; restart fetched ${restart.fetched}, ` +
          `re-ingested ${restart.duplicates}; tickets ${ids.length} of ${total}, duplicates 0`,
      );
    } finally {
      await db.destroy();
    }
  }, 120_000);

  it('kill -9 of `oauth2-mail start` mid-poll: meanwhile the account reads "waiting for another process"; the restarted host polls it in its first cycle, and the counter equals the tickets (SQLite)', async () => {
    const db = await testDatabases()
      .find((p) => p.name === 'sqlite')!
      .create();
    try {
      const world = await prepare(db);
      const total = 200;
      const seeded = Array.from({ length: total }, (_v, i) => numberedMessage(i + 1, 'restart').raw);
      await dovecot.seed('tara@example.test', seeded);
      const account = await world.addAccount('tara@example.test', { pollIntervalSeconds: 10 });

      const first = cli(db.url, ['start', '--port', '0']);
      let atKill = 0;
      for (;;) {
        atKill = await world.tickets.count();
        if (atKill >= 60) break;
        if (atKill >= total) throw new Error('the poll finished before it could be killed');
        const exited = await Promise.race([
          first.done.then(() => true),
          new Promise((r) => setTimeout(r, 20)).then(() => false),
        ]);
        if (exited) throw new Error(`start exited before it could be killed: ${(await first.done).stderr}`);
      }
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      const afterKill = await world.tickets.count();
      expect(afterKill).toBeLessThan(total);

      // The dead process's lease is still in the row: what the console shows says so instead of "connected".
      const shown = await cli(db.url, ['account', 'show', account.id]).done;
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        status: 'connected',
        activity: 'waiting_for_other_process',
        leaseOwner: expect.stringContaining(`:${first.child.pid}:`),
      });

      const second = cli(db.url, ['start', '--port', '0'], true, 'info');
      try {
        const deadline = Date.now() + 60_000;
        // Settled, not only ticketed: the host has a batch's tickets before its ledger rows and post-fetch action.
        const settled = async () =>
          Number(
            (
              (await db
                .knex('oauth2_mail_deliveries')
                .where({ account_id: Number(account.id), state: 'post_action_done' })
                .count({ n: '*' })
                .first()) as { n: number | string }
            ).n,
          );
        while ((await settled()) < total) {
          if (Date.now() > deadline)
            throw new Error(`the restarted host fetched ${await world.tickets.count()} of ${total}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        second.child.kill('SIGTERM');
      }
      const exit = await second.done;
      expect(exit.code).toBe(0);
      // The host logs to stderr, one JSON record a line.
      const lines = exit.stderr
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>);
      const cycles = lines.filter((line) => line.msg === 'fetch cycle done');
      const tookOver = lines.filter(
        (line) => line.msg === 'took over the poll lease of a process on this host that is gone',
      );
      // Its first cycle found the account held by the dead process, took the lease over and polled it.
      expect(cycles.length).toBeGreaterThanOrEqual(1);
      expect(cycles[0]).toMatchObject({ accounts: 1, polled: 1, busy: 0, fetched: total - afterKill });
      expect(tookOver).toHaveLength(1);

      const ids = await messageIds(db.knex, account.id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expect(await world.repositories.accounts.find(account.id)).toMatchObject({
        status: 'connected',
        messagesFetched: total,
        lease: null,
      });
      console.log(
        `kill -9 of start: ${afterKill} tickets when killed; restarted host: ${cycles.length} cycle(s) logged, the first polled the account (busy 0) and fetched ${Number(cycles[0]?.fetched)}; tickets ${ids.length}/${total}, unique ${new Set(ids).size}; messages_fetched ${total}`,
      );
    } finally {
      await db.destroy();
    }
  }, 150_000);

  it('`oauth2-mail start` polls each account on its own interval, trusting the mail server by the configured CA, and stops cleanly (SQLite)', async () => {
    const db = await testDatabases()
      .find((p) => p.name === 'sqlite')!
      .create();
    try {
      // The mail server's CA comes from the plugin config (fetch.caCertPem), not from NODE_EXTRA_CA_CERTS.
      const world = await prepare(db, {
        ...PLUGIN_CONFIG,
        fetch: { ...PLUGIN_CONFIG.fetch, caCertPem: dovecot.caCertPem },
      });
      await dovecot.seed(
        'bob@example.test',
        [1, 2, 3, 4].map((n) => numberedMessage(n, 'start').raw),
      );
      const account = await world.addAccount('bob@example.test', { pollIntervalSeconds: 10 });
      const started = cli(db.url, ['start', '--port', '0'], false);
      const waitFor = async (count: number, timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        while ((await messageIds(db.knex, account.id)).length < count) {
          if (Date.now() > deadline)
            throw new Error(
              `start fetched ${(await messageIds(db.knex, account.id)).length} of ${count} in time; stderr: ${(await Promise.race([started.done, Promise.resolve(null)]))?.stderr ?? ''}`,
            );
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      try {
        await waitFor(4, 30_000);
        await dovecot.seed(
          'bob@example.test',
          [5, 6].map((n) => numberedMessage(n, 'start').raw),
        );
        await waitFor(6, 40_000);
      } finally {
        started.child.kill('SIGTERM');
      }
      const exit = await started.done;
      expect(exit.code).toBe(0);
      expect(JSON.parse(exit.stdout)).toMatchObject({ plugins: ['oauth2-mail'] });
      expect(await messageIds(db.knex, account.id)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `<start-${n}@example.test>`));
      expect(await world.repositories.accounts.find(account.id)).toMatchObject({
        status: 'connected',
        messagesFetched: 6,
      });
    } finally {
      await db.destroy();
    }
  }, 120_000);

  const postgres = testDatabases().find((p) => p.name === 'postgres');
  (postgres ? it : it.skip)(
    'two host processes polling the same accounts at once: every message exactly once (PostgreSQL)',
    async () => {
      const db = await postgres!.create();
      try {
        const world = await prepare(db);
        const mailboxes = ['nina@example.test', 'omar@example.test', 'pia@example.test'];
        const accounts = new Map<string, string>();
        for (const mailbox of mailboxes) accounts.set(mailbox, (await world.addAccount(mailbox)).id);
        let seeded = 0;
        const outcomes: Record<string, number> = {};
        const fetchedByProcess = [0, 0];
        for (let round = 1; round <= 3; round++) {
          for (const mailbox of mailboxes) {
            const name = mailbox.split('@')[0];
            await dovecot.seed(
              mailbox,
              Array.from({ length: 30 }, (_v, i) => numberedMessage(round * 100 + i, name).raw),
            );
            seeded += 30;
          }
          const reports = await Promise.all([pollReport(pollProcess(db.url)), pollReport(pollProcess(db.url))]);
          reports.forEach((report, i) => {
            for (const line of report) {
              outcomes[line.outcome] = (outcomes[line.outcome] ?? 0) + 1;
              fetchedByProcess[i] += line.fetched;
              expect(line.failed).toBe(0);
            }
          });
        }
        // whatever a busy process left behind is picked up by one more cycle
        const [final] = await Promise.all([pollReport(pollProcess(db.url))]);
        for (const line of final) fetchedByProcess[0] += line.fetched;
        const ids = await messageIds(db.knex);
        expect(ids).toHaveLength(seeded);
        expect(new Set(ids).size).toBe(seeded);
        for (const mailbox of mailboxes) expect(await messageIds(db.knex, accounts.get(mailbox))).toHaveLength(90);
        expect(fetchedByProcess[0] + fetchedByProcess[1]).toBe(seeded);
        console.log(
          `two processes on PostgreSQL: ${seeded} messages seeded in 3 rounds over 3 accounts; tickets ${ids.length}, unique ${new Set(ids).size}; fetched by process A ${fetchedByProcess[0]}, B ${fetchedByProcess[1]}; per-account outcomes ${JSON.stringify(outcomes)}`,
        );
      } finally {
        await db.destroy();
      }
    },
    150_000,
  );
  if (!postgres) console.warn('SKIPPED: no PostgreSQL at 127.0.0.1:5432 (two-process fetch test)');
});
