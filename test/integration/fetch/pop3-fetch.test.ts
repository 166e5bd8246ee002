// POP3 accounts fetched by the plugin as production builds it, against the private Dovecot's POP3S and POP3 (STLS)
// with the oauth2 passdb and the local OAuth2 server: exactly once by UIDL, `keep` and `delete`, a session that
// drops before QUIT, a revoked grant, a message over the size limit. (kill -9 mid-batch: fetch-processes.test.ts.)
import * as net from 'node:net';
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import { Pop3MailFetcher } from '../../../adapters/pop3/pop3-mail-fetcher';
import { ConnectionTester } from '../../../plugin/admin/connection-test';
import { systemClock } from '../../../plugin/ports/clock';
import { pop3Location } from '../../../plugin/ports/mail-ledger';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import {
  DEFAULT_USERS,
  SHARED_MAILBOX,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { fullCorpus, largeMessage, numberedMessage, servedOverPop3, sha256 } from './mail-corpus';

const extraUsers = ['quinn', 'ruth', 'sven', 'ugo', 'vera'].map((name) => ({
  login: `${name}@example.test`,
  email: `${name}@example.test`,
  password: `${name}-password`,
  name,
}));

let db: TestDatabase;
let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;
let world: FetchWorld;

async function ticketsOf(accountId: string) {
  return (await world.tickets.list({ accountId, limit: 10_000 })).reverse();
}

function pop3s(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { protocol: 'pop3', port: dovecot.ports.pop3s, tls: 'implicit', postFetch: 'keep', ...extra };
}

/**
 * A TCP proxy to Dovecot's cleartext POP3 port that, while `cutQuit` is on, ends both connections when the client
 * sends QUIT, before Dovecot sees it: the session drops without the UPDATE state, as a network failure would.
 */
async function quitCuttingProxy(): Promise<{ port: number; cutQuit: boolean; close(): void }> {
  const sockets = new Set<net.Socket>();
  const state = { cutQuit: true };
  const server = net.createServer((client) => {
    const upstream = net.connect(dovecot.ports.pop3, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (state.cutQuit && /^QUIT\r?\n/im.test(chunk.toString('latin1'))) end();
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get cutQuit() {
      return state.cutQuit;
    },
    set cutQuit(value: boolean) {
      state.cutQuit = value;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

beforeAll(async () => {
  const dir = tempDir('o2m-pop3-fetch');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  oauthServer = await startOAuthServer({
    profile: 'microsoft',
    dir,
    users: [...DEFAULT_USERS, ...extraUsers],
    redirectUris: [TEST_REDIRECT_URI],
    // Longer than a POP3 command line: the XOAUTH2 response goes in the continuation.
    accessTokenLength: 2_400,
  });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
  world = await createFetchWorld({
    knex: db.knex,
    oauthServer,
    dovecot,
    config: { fetch: { maxMessageBytes: 4 * 1024 * 1024 } },
  });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
  await db?.destroy();
});

describe('POP3 fetch on Dovecot (SQLite)', () => {
  it('POP3S, keep: one ticket per corpus message, bytes as served, messages stay; second cycle 0', async () => {
    const mailbox = 'quinn@example.test';
    const corpus = fullCorpus(3);
    await dovecot.seed(
      mailbox,
      corpus.map((m) => m.raw),
    );
    const account = await world.addAccount(mailbox, pop3s({ initialSync: undefined }));
    expect(account).toMatchObject({ status: 'connected', protocol: 'pop3', initialSync: 'all', postFetch: 'keep' });
    const [first] = await world.poll(account.id);
    expect(first).toMatchObject({ outcome: 'polled', fetched: corpus.length, skipped: 0, failed: 0 });
    const tickets = await ticketsOf(account.id);
    expect(tickets.map((t) => t.sha256)).toEqual(corpus.map((m) => sha256(servedOverPop3(m.raw))));
    expect(new Set(tickets.map((t) => t.dedupeKey)).size).toBe(corpus.length);
    // POP3 serves the NUL bytes as stored: every message but the empty one is exactly the seeded file.
    const exact = tickets.filter((t, i) => t.sha256 === sha256(corpus[i].raw)).length;
    expect(exact).toBe(corpus.length - 1);
    expect((await dovecot.status(mailbox)).messages).toBe(corpus.length);

    const [second] = await world.poll(account.id);
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0, failed: 0 });
    expect(await ticketsOf(account.id)).toHaveLength(corpus.length);
    const rows = await world.ledger.listDeliveries({ accountId: account.id, folder: '', uidValidity: '' });
    expect(rows).toHaveLength(corpus.length);
    expect(rows.every((row) => row.state === 'post_action_done' && row.uidl)).toBe(true);
    expect(await world.repositories.accounts.find(account.id)).toMatchObject({ messagesFetched: corpus.length });
  });

  it('STLS, delete: the mailbox is empty after the cycle, nothing fetched twice, ledger rows pruned', async () => {
    const mailbox = 'ruth@example.test';
    const seeded = [1, 2, 3, 4].map((n) => numberedMessage(n, 'ruth').raw);
    await dovecot.seed(mailbox, seeded);
    const account = await world.addAccount(
      mailbox,
      pop3s({ port: dovecot.ports.pop3, tls: 'starttls', postFetch: 'delete' }),
    );
    expect((await world.poll(account.id))[0]).toMatchObject({ outcome: 'polled', fetched: 4, failed: 0 });
    expect((await dovecot.status(mailbox)).messages).toBe(0);
    await dovecot.seed(mailbox, [numberedMessage(5, 'ruth').raw]);
    expect((await world.poll(account.id))[0]).toMatchObject({ outcome: 'polled', fetched: 1, duplicates: 0 });
    expect((await dovecot.status(mailbox)).messages).toBe(0);
    expect((await world.poll(account.id))[0]).toMatchObject({ fetched: 0, duplicates: 0 });
    expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `<ruth-${n}@example.test>`),
    );
    // The deleted messages' UIDLs left the server: their rows are gone too.
    expect(await world.ledger.listDeliveries({ accountId: account.id, folder: '', uidValidity: '' })).toEqual([]);
  });

  it('delete, session dropped before QUIT: messages stay; the next cycle deletes them, no second ticket', async () => {
    const mailbox = 'sven@example.test';
    await dovecot.seed(
      mailbox,
      [1, 2, 3].map((n) => numberedMessage(n, 'sven').raw),
    );
    const proxy = await quitCuttingProxy();
    try {
      const account = await world.addAccount(mailbox, pop3s({ port: proxy.port, tls: 'none', postFetch: 'delete' }));
      const [dropped] = await world.poll(account.id);
      expect(dropped).toMatchObject({ outcome: 'polled', fetched: 3, failed: 0 });
      // DELE without QUIT deletes nothing; the rows wait as `ingested`.
      expect((await dovecot.status(mailbox)).messages).toBe(3);
      const rows = await world.ledger.listDeliveries({ accountId: account.id, folder: '', uidValidity: '' });
      expect(rows.map((row) => row.state)).toEqual(['ingested', 'ingested', 'ingested']);
      const [again] = await world.poll(account.id);
      expect(again).toMatchObject({ fetched: 0, duplicates: 0 });
      expect((await dovecot.status(mailbox)).messages).toBe(3);

      proxy.cutQuit = false;
      const [settled] = await world.poll(account.id);
      expect(settled).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0, failed: 0 });
      expect((await dovecot.status(mailbox)).messages).toBe(0);
      expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual(
        [1, 2, 3].map((n) => `<sven-${n}@example.test>`),
      );
    } finally {
      proxy.close();
    }
  });

  it('revoked grant: needs_reauth, one notification; re-authorizing fetches the rest, nothing twice', async () => {
    const mailbox = 'ugo@example.test';
    await dovecot.seed(mailbox, [numberedMessage(1, 'ugo').raw]);
    const account = await world.addAccount(mailbox, pop3s());
    expect((await world.poll(account.id))[0]).toMatchObject({ fetched: 1, status: 'connected' });
    expect(await oauthServer.revokeUser(mailbox)).toBeGreaterThan(0);
    await dovecot.seed(mailbox, [numberedMessage(2, 'ugo').raw]);
    const [dead] = await world.poll(account.id);
    expect(dead).toMatchObject({ outcome: 'failed', status: 'needs_reauth', error: { code: 'ERR_GRANT_INVALID' } });
    expect((await world.poll(account.id))[0]).toMatchObject({ outcome: 'failed', status: 'needs_reauth' });
    const open = (await world.openNotifications()).filter((n) => n.key.includes(`account:${account.id}:`));
    expect(open).toEqual([
      expect.objectContaining({ key: `oauth2-mail:account:${account.id}:ERR_GRANT_INVALID`, occurrences: 1 }),
    ]);
    await world.reconnect(account.id, mailbox);
    expect((await world.poll(account.id))[0]).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
    expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual([
      '<ugo-1@example.test>',
      '<ugo-2@example.test>',
    ]);
  });

  it('a message over fetch.maxMessageBytes (LIST) stays on the server, skipped, reported once', async () => {
    const mailbox = 'vera@example.test';
    const big = largeMessage(5, 'vera-big').raw;
    await dovecot.seed(mailbox, [numberedMessage(1, 'vera').raw, big, numberedMessage(3, 'vera').raw]);
    const account = await world.addAccount(mailbox, pop3s({ postFetch: 'delete' }));
    const [result] = await world.poll(account.id);
    expect(result).toMatchObject({ outcome: 'polled', fetched: 2, skipped: 1, failed: 0 });
    expect((await dovecot.status(mailbox)).messages).toBe(1);
    const states = async () =>
      (await world.ledger.listDeliveries({ accountId: account.id, folder: '', uidValidity: '' })).map((row) => ({
        state: row.state,
        size: row.size,
        uidl: row.uidl,
      }));
    const skipped = expect.objectContaining({ state: 'skipped', size: big.length });
    expect(await states()).toEqual([
      expect.objectContaining({ state: 'post_action_done' }),
      skipped,
      expect.objectContaining({ state: 'post_action_done' }),
    ]);
    expect((await world.poll(account.id))[0]).toMatchObject({ fetched: 0, skipped: 0 });
    // The two deleted messages left the server, so the second cycle pruned their rows; the big one stays known.
    const [left] = await states();
    expect(await states()).toEqual([skipped]);
    expect(await world.ledger.findDelivery(pop3Location(account.id, left.uidl ?? ''))).toMatchObject({
      state: 'skipped',
    });
    const notes = (await world.openNotifications()).filter((n) => n.key.includes(`message:${account.id}:skipped`));
    expect(notes).toEqual([expect.objectContaining({ occurrences: 1 })]);
    const events = await world.repositories.events.list({ accountId: account.id, limit: 50 });
    expect(events.filter((e) => e.type === 'message_skipped' && e.code === 'ERR_MESSAGE_TOO_LARGE')).toHaveLength(1);
    expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual([
      '<vera-1@example.test>',
      '<vera-3@example.test>',
    ]);
  });

  it("Connect's proof is a POP3 login (refused: nothing stored); Test connection: token, login, STAT", async () => {
    await dovecot.seed(SHARED_MAILBOX, [numberedMessage(1, 'shared').raw, numberedMessage(2, 'shared').raw]);
    const shared = await world.addAccount(SHARED_MAILBOX, pop3s({ sharedViaDelegate: true }), 'bob@example.test');
    expect(shared).toMatchObject({ status: 'connected', authorizedIdentity: 'bob@example.test' });
    const tester = new ConnectionTester({
      tokens: world.oauth.tokenService,
      mailFetcher: new ImapFlowMailFetcher(),
      pop3Fetcher: new Pop3MailFetcher(),
      clock: systemClock,
      caCertPem: dovecot.caCertPem,
    });
    const result = await tester.test(shared);
    expect(result.ok).toBe(true);
    expect(result.steps.map((step) => [step.step, step.outcome])).toEqual([
      ['token', 'ok'],
      ['login', 'ok'],
      ['folders', 'ok'],
      ['messages', 'ok'],
    ]);
    expect(result.steps[1].detail).toMatch(/with XOAUTH2 over POP3/);
    expect(result.steps[3].detail).toMatch(/^The POP3 inbox holds 2 messages/);
    // The test fetched and deleted nothing.
    expect((await dovecot.status(SHARED_MAILBOX)).messages).toBe(2);

    const stranger = await world.oauth.accounts.create(
      { appId: world.appId, mailbox: 'stranger@example.test', host: '127.0.0.1', ...pop3s() },
      'admin-1',
    );
    await expect(world.reconnect(stranger.id, 'alice@example.test')).rejects.toMatchObject({
      code: 'ERR_IDENTITY_MISMATCH',
    });
    expect(await world.repositories.tokens.find(stranger.id)).toBeNull();
  });

  it('refuses POP3 settings that do not apply, with a clear message', async () => {
    const refused = await world.oauth.accounts
      .create(
        {
          appId: world.appId,
          mailbox: 'quinn@example.test',
          protocol: 'pop3',
          folder: 'Archive',
          initialSync: 'new_only',
          postFetch: 'mark_seen',
        },
        'admin-1',
      )
      .catch((error: Error) => error);
    expect(refused).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((refused as Error).message).toMatch(/folder.*does not apply to POP3/);
    expect((refused as Error).message).toMatch(/initialSync.*new_only does not apply to POP3/);
    expect((refused as Error).message).toMatch(/postFetch.*keep or delete for POP3/);
  });
});
