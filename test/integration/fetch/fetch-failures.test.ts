// The polling cycle when things go wrong, against real Dovecot and the real OAuth server (SQLite):
// Dovecot stopped mid-fetch, a grant revoked at the server, an access token expiring mid-session,
// and one cycle with a dead grant, an unreachable host and three healthy mailboxes.
import * as fs from 'node:fs';
import * as net from 'node:net';
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

const NAMES = ['erin', 'frank', 'gina', 'ivan', 'judy', 'kate', 'leo', 'mia'];
const users: TestUser[] = [
  ...DEFAULT_USERS,
  ...NAMES.map((name) => ({
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
/** Per mailbox: what to do before each host ingest of its messages. */
const hooks = new Map<string, () => Promise<void>>();

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Child processes of `pid` (from /proc). */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push({ pid: Number(entry), comm });
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/**
 * Takes this test's Dovecot down hard, as a crash or an operator would: its IMAP session processes (which
 * outlive a master shutdown) are killed, then the master. Only processes of this Dovecot, by pid.
 */
function takeDovecotDown(handle: DovecotHandle): void {
  const masterPid = Number(fs.readFileSync(path.join(handle.baseDir, 'master.pid'), 'utf8').trim());
  for (const child of childrenOf(masterPid).filter((c) => c.comm === 'imap')) process.kill(child.pid, 'SIGKILL');
  process.kill(masterPid, 'SIGTERM');
}

async function ticketIds(accountId: string): Promise<(string | null)[]> {
  return (await world.tickets.list({ accountId, limit: 10_000 })).reverse().map((t) => t.messageId);
}

beforeAll(async () => {
  const dir = tempDir('o2m-fetch-fail');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  oauthServer = await startOAuthServer({ profile: 'microsoft', dir, users, redirectUris: [TEST_REDIRECT_URI] });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
  world = await createFetchWorld({
    knex: db.knex,
    oauthServer,
    dovecot,
    // Groups of 4: a failure in the middle of a mailbox lands between settled groups and a group in flight.
    config: { fetch: { batchSize: 4 } },
    beforeIngest: async (message) => {
      const account = await world.repositories.accounts.find(message.accountId);
      await hooks.get(account?.mailbox ?? '')?.();
    },
  });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
  await db?.destroy();
});

describe('fetch cycle failures (real Dovecot + OAuth server, SQLite)', () => {
  it('Dovecot stopped mid-fetch: the account is retrying, one notification; after restart the rest arrives, nothing lost or doubled', async () => {
    const mailbox = 'erin@example.test';
    await dovecot.seed(
      mailbox,
      Array.from({ length: 20 }, (_v, i) => numberedMessage(i + 1, 'erin').raw),
    );
    const account = await world.addAccount(mailbox);
    let ingests = 0;
    hooks.set(mailbox, async () => {
      ingests += 1;
      if (ingests === 8) takeDovecotDown(dovecot);
    });
    const [broken] = await world.poll(account.id);
    expect(broken).toMatchObject({ outcome: 'failed', status: 'retrying', error: { code: 'ERR_MAIL_UNAVAILABLE' } });
    expect(broken.fetched).toBe(8);
    expect(
      (await world.openNotifications()).filter(
        (n) => n.key === `oauth2-mail:account:${account.id}:ERR_MAIL_UNAVAILABLE`,
      ),
    ).toHaveLength(1);
    const [stillDown] = await world.poll(account.id);
    expect(stillDown).toMatchObject({ outcome: 'failed', error: { code: 'ERR_MAIL_UNAVAILABLE' } });
    expect(
      (await world.openNotifications()).find((n) => n.key.endsWith(`${account.id}:ERR_MAIL_UNAVAILABLE`))?.occurrences,
    ).toBe(1);

    await dovecot.restart();
    const [recovered] = await world.poll(account.id);
    expect(recovered).toMatchObject({ outcome: 'polled', fetched: 12, failed: 0, status: 'connected' });
    expect(await ticketIds(account.id)).toEqual(Array.from({ length: 20 }, (_v, i) => `<erin-${i + 1}@example.test>`));
    expect((await world.openNotifications()).filter((n) => n.key.includes(`account:${account.id}:`))).toEqual([]);
    const deliveries = await world.ledger.listDeliveries({
      accountId: account.id,
      folder: 'INBOX',
      uidValidity: (await world.ledger.getCursor(account.id, 'INBOX'))!.uidValidity,
    });
    expect(deliveries.map((d) => d.state)).toEqual(Array(20).fill('post_action_done'));
    console.log(`Dovecot stopped after 8 of 20 messages: 8 fetched, restart fetched 12, tickets 20, duplicates 0`);
  });

  it('a grant revoked at the server: needs_reauth with one notification; re-authorizing recovers by itself on the next cycle', async () => {
    const mailbox = 'frank@example.test';
    await dovecot.seed(
      mailbox,
      [1, 2].map((n) => numberedMessage(n, 'frank').raw),
    );
    const account = await world.addAccount(mailbox);
    expect((await world.poll(account.id))[0]).toMatchObject({ fetched: 2, status: 'connected' });
    expect(await oauthServer.revokeUser(mailbox)).toBeGreaterThan(0);
    await dovecot.seed(mailbox, [numberedMessage(3, 'frank').raw]);
    const [dead] = await world.poll(account.id);
    expect(dead).toMatchObject({ outcome: 'failed', status: 'needs_reauth', error: { code: 'ERR_GRANT_INVALID' } });
    const [again] = await world.poll(account.id);
    expect(again).toMatchObject({ outcome: 'failed', status: 'needs_reauth' });
    const open = (await world.openNotifications()).filter((n) => n.key.includes(`account:${account.id}:`));
    expect(open).toEqual([
      expect.objectContaining({ key: `oauth2-mail:account:${account.id}:ERR_GRANT_INVALID`, occurrences: 1 }),
    ]);
    expect(await ticketIds(account.id)).toHaveLength(2);

    await world.reconnect(account.id, mailbox);
    const [back] = await world.poll(account.id);
    expect(back).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
    expect((await world.openNotifications()).filter((n) => n.key.includes(`account:${account.id}:`))).toEqual([]);
  });

  it('an access token that expires in the middle of a session: the cycle completes, the next one refreshes', async () => {
    const mailbox = 'gina@example.test';
    await oauthServer.setAccessTokenTtl(12);
    try {
      await dovecot.seed(
        mailbox,
        Array.from({ length: 6 }, (_v, i) => numberedMessage(i + 1, 'gina').raw),
      );
      const account = await world.addAccount(mailbox);
      hooks.set(mailbox, () => new Promise((resolve) => setTimeout(resolve, 2200)));
      const [slow] = await world.poll(account.id);
      const usedToken = await world.repositories.tokens.find(account.id);
      expect(slow).toMatchObject({ outcome: 'polled', fetched: 6, failed: 0, status: 'connected' });
      // the session outlived its access token
      expect(usedToken!.accessTokenExpiresAt).toBeLessThan(Date.now());
      hooks.delete(mailbox);
      const before = await oauthServer.stats();
      await dovecot.seed(mailbox, [numberedMessage(7, 'gina').raw]);
      const [next] = await world.poll(account.id);
      const after = await oauthServer.stats();
      expect(next).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
      expect(after.refreshRequests - before.refreshRequests).toBe(1);
      expect(await ticketIds(account.id)).toHaveLength(7);
    } finally {
      await oauthServer.setAccessTokenTtl(3600);
    }
  }, 40_000);

  it('one dead grant and one unreachable host never stop three healthy mailboxes in the same cycle', async () => {
    const healthy = ['kate', 'leo', 'mia'];
    for (const name of healthy)
      await dovecot.seed(
        `${name}@example.test`,
        [1, 2, 3].map((n) => numberedMessage(n, name).raw),
      );
    const accounts = new Map<string, string>();
    for (const name of healthy) accounts.set(name, (await world.addAccount(`${name}@example.test`)).id);
    const dead = await world.addAccount('ivan@example.test');
    await oauthServer.revokeUser('ivan@example.test');
    const unreachable = await world.addAccount('judy@example.test', { port: await closedPort() });
    const results = await world.poll();
    expect(results.find((r) => r.accountId === dead.id)).toMatchObject({
      outcome: 'failed',
      status: 'needs_reauth',
      error: { code: 'ERR_GRANT_INVALID' },
    });
    expect(results.find((r) => r.accountId === unreachable.id)).toMatchObject({
      outcome: 'failed',
      status: 'retrying',
      error: { code: 'ERR_MAIL_PORT_CLOSED' },
    });
    for (const name of healthy) {
      expect(results.find((r) => r.accountId === accounts.get(name))).toMatchObject({
        outcome: 'polled',
        fetched: 3,
        failed: 0,
        status: 'connected',
      });
    }
    const counts = healthy
      .map((name) => `${name} ${results.find((r) => r.accountId === accounts.get(name))?.fetched}`)
      .join(', ');
    console.log(
      `mixed cycle: dead grant -> ${results.find((r) => r.accountId === dead.id)?.error?.code}, unreachable -> ${results.find((r) => r.accountId === unreachable.id)?.error?.code}, healthy fetched: ${counts}`,
    );
  });
});
