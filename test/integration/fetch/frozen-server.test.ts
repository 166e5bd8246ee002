// A frozen mail server: every process of the test's Dovecot stopped with SIGSTOP (the sockets stay open, nothing
// answers). The poll in flight must end within the mail-server command timeout as `retrying`, not run into the
// account timeout; after SIGCONT the next poll fetches the rest, nothing lost or doubled. Real Dovecot, real OAuth
// server, SQLite.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestDatabase } from '../../helpers/databases';
import { testDatabases } from '../../helpers/databases';
import {
  DEFAULT_USERS,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type TestUser,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { numberedMessage } from './mail-corpus';

jest.setTimeout(150_000);

/** A poll that waits for the account timeout is the defect; the command timeout is what must end it. */
const ACCOUNT_TIMEOUT_S = 60;
const COMMAND_TIMEOUT_S = 3;
const users: TestUser[] = [
  ...DEFAULT_USERS,
  ...['nina', 'otto', 'pia'].map((name) => ({
    login: `${name}@example.test`,
    email: `${name}@example.test`,
    password: `${name}-password`,
    name,
  })),
];

let db: TestDatabase;
let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;
let world: FetchWorld;
const hooks = new Map<string, () => Promise<void>>();
let frozen: number[] = [];

/** Every process below `pid` (from /proc), deepest last. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** SIGSTOP to this test's Dovecot master and every process under it, or only those named `only` (by pid). */
function freezeDovecot(only?: string): void {
  const master = Number(fs.readFileSync(path.join(dovecot.baseDir, 'master.pid'), 'utf8').trim());
  const all = [master, ...descendantsOf(master)];
  frozen = only === undefined ? all : all.filter((pid) => commandOf(pid) === only);
  if (frozen.length === 0) throw new Error(`no Dovecot process named ${only}`);
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
}

function thawDovecot(): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  frozen = [];
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = Date.now();
  const value = await run();
  return { value, seconds: (Date.now() - started) / 1000 };
}

beforeAll(async () => {
  const dir = tempDir('o2m-fetch-frozen');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  oauthServer = await startOAuthServer({ profile: 'microsoft', dir, users, redirectUris: [TEST_REDIRECT_URI] });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
  world = await createFetchWorld({
    knex: db.knex,
    oauthServer,
    dovecot,
    // Groups of 3: the freeze at the third ingest comes after a group reached the host and before its STORE.
    config: {
      fetch: { accountTimeoutSeconds: ACCOUNT_TIMEOUT_S, commandTimeoutSeconds: COMMAND_TIMEOUT_S, batchSize: 3 },
    },
    beforeIngest: async (message) => {
      const account = await world.repositories.accounts.find(message.accountId);
      await hooks.get(account?.mailbox ?? '')?.();
    },
  });
}, 60_000);

afterEach(() => {
  thawDovecot();
});

afterAll(async () => {
  thawDovecot();
  await dovecot?.stop();
  await oauthServer?.stop();
  await db?.destroy();
});

describe('a frozen mail server (SIGSTOP)', () => {
  it('in the middle of a poll: retrying within the command timeout, one notification; after SIGCONT the rest arrives', async () => {
    const mailbox = 'nina@example.test';
    await dovecot.seed(
      mailbox,
      Array.from({ length: 10 }, (_v, i) => numberedMessage(i + 1, 'nina').raw),
    );
    const account = await world.addAccount(mailbox);
    let ingests = 0;
    hooks.set(mailbox, async () => {
      ingests += 1;
      if (ingests === 3) freezeDovecot();
    });
    const {
      value: [stalled],
      seconds,
    } = await timed(() => world.poll(account.id));
    expect(stalled).toMatchObject({ outcome: 'failed', status: 'retrying', fetched: 3 });
    expect(['ERR_TIMEOUT', 'ERR_MAIL_UNAVAILABLE']).toContain(stalled!.error?.code);
    expect(seconds).toBeLessThan(20);
    expect(await world.repositories.accounts.find(account.id)).toMatchObject({ status: 'retrying' });
    const incident = `oauth2-mail:account:${account.id}:${stalled!.error!.code}`;
    expect((await world.openNotifications()).filter((n) => n.key === incident)).toHaveLength(1);

    thawDovecot();
    hooks.delete(mailbox);
    const [recovered] = await world.poll(account.id);
    expect(recovered).toMatchObject({ outcome: 'polled', fetched: 7, status: 'connected' });
    const tickets = (await world.tickets.list({ accountId: account.id, limit: 100 })).map((t) => t.messageId);
    expect(tickets.sort()).toEqual(Array.from({ length: 10 }, (_v, i) => `<nina-${i + 1}@example.test>`).sort());
    expect((await world.openNotifications()).filter((n) => n.key === incident)).toEqual([]);
    console.log(`Dovecot frozen mid-poll: failed after ${seconds.toFixed(1)} s with ${stalled!.error!.code}`);
  });

  it('before a poll connects (no greeting): retrying within the command timeout; after SIGCONT it fetches', async () => {
    const mailbox = 'otto@example.test';
    await dovecot.seed(mailbox, [numberedMessage(1, 'otto').raw, numberedMessage(2, 'otto').raw]);
    const account = await world.addAccount(mailbox);
    freezeDovecot();
    const {
      value: [stalled],
      seconds,
    } = await timed(() => world.poll(account.id));
    expect(stalled).toMatchObject({ outcome: 'failed', status: 'retrying', fetched: 0 });
    expect(['ERR_TIMEOUT', 'ERR_MAIL_UNAVAILABLE']).toContain(stalled!.error?.code);
    expect(seconds).toBeLessThan(20);
    thawDovecot();
    const [recovered] = await world.poll(account.id);
    expect(recovered).toMatchObject({ outcome: 'polled', fetched: 2, status: 'connected' });
    console.log(`Dovecot frozen before connect: failed after ${seconds.toFixed(1)} s with ${stalled!.error!.code}`);
  });

  it('in the login (the greeting comes, authentication never answers): retrying within the command timeout', async () => {
    const mailbox = 'pia@example.test';
    await dovecot.seed(mailbox, [numberedMessage(1, 'pia').raw]);
    const account = await world.addAccount(mailbox);
    freezeDovecot('auth');
    const {
      value: [stalled],
      seconds,
    } = await timed(() => world.poll(account.id));
    expect(stalled).toMatchObject({ outcome: 'failed', status: 'retrying', fetched: 0 });
    expect(['ERR_TIMEOUT', 'ERR_MAIL_UNAVAILABLE']).toContain(stalled!.error?.code);
    expect(seconds).toBeLessThan(20);
    thawDovecot();
    const [recovered] = await world.poll(account.id);
    expect(recovered).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
    console.log(`Dovecot auth frozen: failed after ${seconds.toFixed(1)} s with ${stalled!.error!.code}`);
  });
});
