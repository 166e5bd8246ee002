// The polling cycle end to end on SQLite: real Dovecot, real OAuth server (tokens from the real Connect flow),
// the reference host's ticket store. One ticket per message, byte-identical; post-fetch actions checked on the
// server by a separate client; UIDVALIDITY change; quarantine.
import { ImapFlow } from 'imapflow';
import type { TestDatabase } from '../../helpers/databases';
import { testDatabases } from '../../helpers/databases';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type TestUser,
} from '../../helpers/test-env';
import { legacyMessageKey } from '../../../plugin/fetch/message-key';
import { codeFlowTokens } from '../imap/code-flow-token';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { fullCorpus, largeMessage, numberedMessage, servedByDovecot, sha256 } from './mail-corpus';

const extraUsers: TestUser[] = ['dave', 'hank', 'iris', 'kim', 'lou', 'quinn'].map((name) => ({
  login: `${name}@example.test`,
  email: `${name}@example.test`,
  password: `${name}-password`,
  name,
}));

let db: TestDatabase;
let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;
let world: FetchWorld;
const poison = new Set<string>();
/** Runs when the host is handed a message containing the key: the test changes the server under the poll. */
const whenIngested = new Map<string, () => Promise<void>>();

/** A separate IMAP client (its own grant) to look at the server. */
async function inspect<T>(mailbox: string, folder: string, look: (client: ImapFlow) => Promise<T>): Promise<T> {
  const { accessToken } = await codeFlowTokens(oauthServer, mailbox);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: mailbox, accessToken },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const box = await client.mailboxOpen(folder);
    if (box.exists === 0) return await look(client);
    return await look(client);
  } finally {
    await client.logout();
  }
}

async function flagsOf(mailbox: string, folder: string): Promise<{ uid: number; seen: boolean; sha: string }[]> {
  return inspect(mailbox, folder, async (client) => {
    if (!client.mailbox || client.mailbox.exists === 0) return [];
    const all = await client.fetchAll('1:*', { uid: true, flags: true, source: true }, { uid: true });
    return all.map((m) => ({
      uid: m.uid,
      seen: m.flags?.has('\\Seen') ?? false,
      sha: sha256(m.source ?? Buffer.alloc(0)),
    }));
  });
}

async function ticketsOf(accountId: string) {
  return (await world.tickets.list({ accountId, limit: 10_000 })).reverse();
}

beforeAll(async () => {
  const dir = tempDir('o2m-fetch');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  oauthServer = await startOAuthServer({
    profile: 'microsoft',
    dir,
    users: [...(await import('../../helpers/test-env')).DEFAULT_USERS, ...extraUsers],
    redirectUris: [TEST_REDIRECT_URI],
  });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
  world = await createFetchWorld({
    knex: db.knex,
    oauthServer,
    dovecot,
    config: { fetch: { quarantineAfter: 2, batchSize: 4, maxMessageBytes: 4 * 1024 * 1024 } },
    beforeIngest: async (message) => {
      if ([...poison].some((marker) => message.raw.includes(marker)))
        throw new Error('the ticket rules rejected this message');
      for (const [marker, run] of whenIngested)
        if (message.raw.includes(marker)) {
          whenIngested.delete(marker);
          await run();
        }
    },
  });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
  await db?.destroy();
});

describe('fetch cycle on Dovecot (SQLite)', () => {
  it('turns every corpus message into exactly one ticket with the byte-identical source; a second cycle ingests nothing', async () => {
    const corpus = fullCorpus(3);
    await dovecot.seed(
      'alice@example.test',
      corpus.map((m) => m.raw),
    );
    const account = await world.addAccount('alice@example.test');
    expect(account.status).toBe('connected');
    const [first] = await world.poll(account.id);
    expect(first).toMatchObject({
      outcome: 'polled',
      fetched: corpus.length,
      skipped: 0,
      failed: 0,
      status: 'connected',
    });
    const tickets = await ticketsOf(account.id);
    expect(tickets.map((t) => t.sha256)).toEqual(corpus.map((m) => sha256(servedByDovecot(m.raw))));
    expect(new Set(tickets.map((t) => t.dedupeKey)).size).toBe(corpus.length);
    for (const ticket of tickets) expect(ticket.dedupeKey.startsWith(`${account.id}:`)).toBe(true);
    // Every message but the NUL one (Dovecot serves NUL as 0x80) is exactly the seeded file.
    const exact = tickets.filter((t, i) => t.sha256 === sha256(corpus[i].raw)).length;
    expect(exact).toBe(corpus.length - 1);
    expect((await flagsOf('alice@example.test', 'INBOX')).every((m) => m.seen)).toBe(true);

    const [second] = await world.poll(account.id);
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0, failed: 0 });
    expect(await world.tickets.count()).toBeGreaterThanOrEqual(corpus.length);
    expect((await ticketsOf(account.id)).length).toBe(corpus.length);
    expect(await world.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: corpus.length });
  });

  it('applies each post-fetch action on the server (seen flag, target folder, expunged, untouched)', async () => {
    const folders = { ActSeen: 'mark_seen', ActMove: 'move:Processed', ActDelete: 'delete', ActKeep: 'keep' } as const;
    const seeded = new Map<string, Buffer[]>();
    for (const folder of Object.keys(folders)) {
      const raws = [1, 2, 3].map((n) => numberedMessage(n, folder).raw);
      seeded.set(folder, raws);
      await dovecot.seed('bob@example.test', raws, folder);
    }
    await dovecot.seed('bob@example.test', [], 'Processed');
    for (const [folder, postFetch] of Object.entries(folders)) {
      const account = await world.addAccount('bob@example.test', { folder, postFetch });
      const [result] = await world.poll(account.id);
      expect({ folder, ...result }).toMatchObject({ folder, outcome: 'polled', fetched: 3, failed: 0 });
      expect(result.error).toBeUndefined();
      const deliveries = await world.ledger.listDeliveries({
        accountId: account.id,
        folder,
        uidValidity: (await world.ledger.getCursor(account.id, folder))!.uidValidity,
      });
      expect(deliveries.map((d) => d.state)).toEqual(['post_action_done', 'post_action_done', 'post_action_done']);
    }
    const shas = (folder: string) => seeded.get(folder)!.map((raw) => sha256(raw));
    expect(await flagsOf('bob@example.test', 'ActSeen')).toEqual(
      shas('ActSeen').map((sha, i) => ({ uid: i + 1, seen: true, sha })),
    );
    expect(await flagsOf('bob@example.test', 'ActMove')).toEqual([]);
    expect((await flagsOf('bob@example.test', 'Processed')).map((m) => m.sha)).toEqual(shas('ActMove'));
    expect(await flagsOf('bob@example.test', 'ActDelete')).toEqual([]);
    expect(await flagsOf('bob@example.test', 'ActKeep')).toEqual(
      shas('ActKeep').map((sha, i) => ({ uid: i + 1, seen: false, sha })),
    );
  });

  it('rescans after a UIDVALIDITY change (recreateMailbox) without a single duplicate ticket', async () => {
    const first = [1, 2, 3, 4, 5].map((n) => numberedMessage(n, 'dave').raw);
    await dovecot.seed('dave@example.test', first);
    const account = await world.addAccount('dave@example.test', { postFetch: 'keep' });
    const [before] = await world.poll(account.id);
    expect(before).toMatchObject({ fetched: 5 });
    const cursorBefore = await world.ledger.getCursor(account.id, 'INBOX');
    const recreated = await dovecot.recreateMailbox('dave@example.test');
    expect(String(recreated.uidValidity)).not.toBe(cursorBefore?.uidValidity);
    await dovecot.seed(
      'dave@example.test',
      [6, 7].map((n) => numberedMessage(n, 'dave').raw),
    );
    const [after] = await world.poll(account.id);
    expect(after).toMatchObject({ outcome: 'polled', fetched: 2, duplicates: 5, failed: 0 });
    expect(await world.ledger.getCursor(account.id, 'INBOX')).toMatchObject({
      uidValidity: String(recreated.uidValidity),
      lastUid: 7,
    });
    const tickets = await ticketsOf(account.id);
    expect(tickets.map((t) => t.messageId)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `<dave-${n}@example.test>`));
    const [third] = await world.poll(account.id);
    expect(third).toMatchObject({ fetched: 0, duplicates: 0 });
  });

  it('makes two tickets of two different messages that share Message-ID, Date and size (a sender cannot make one disappear)', async () => {
    const head = 'Message-ID: <twin@example.test>\r\nDate: Thu, 01 Jan 2026 12:00:00 +0000\r\nSubject: invoice\r\n\r\n';
    const genuine = Buffer.from(`${head}Pay to account 111.\r\n`);
    const forged = Buffer.from(`${head}Pay to account 999.\r\n`);
    expect(forged.length).toBe(genuine.length);
    await dovecot.seed('kim@example.test', [genuine, forged]);
    const account = await world.addAccount('kim@example.test');
    const [result] = await world.poll(account.id);
    expect(result).toMatchObject({ outcome: 'polled', fetched: 2, duplicates: 0, failed: 0 });
    expect((await ticketsOf(account.id)).map((t) => t.sha256)).toEqual([sha256(genuine), sha256(forged)]);
  });

  it('after a UIDVALIDITY change still knows messages recorded under the legacy key rule, but not a twin that came later', async () => {
    const mailbox = 'lou@example.test';
    const originals = [1, 2, 3].map((n) => numberedMessage(n, 'lou').raw);
    // They arrived a minute before they were fetched; the twin arrives (now) after the rows were written.
    const arrived = new Date(Date.now() - 60_000);
    await dovecot.seed(
      mailbox,
      originals.map((raw) => ({ raw, mtime: arrived })),
    );
    const account = await world.addAccount(mailbox, { postFetch: 'keep' });
    expect((await world.poll(account.id))[0]).toMatchObject({ fetched: 3 });
    // Rewrite the ledger and the host's dedupe keys to what the code before the content rule stored.
    const rows = (await world.knex('oauth2_mail_deliveries').where({ account_id: Number(account.id) })) as {
      id: number;
      ticket_id: string;
    }[];
    for (const row of rows) {
      const ticket = (await world
        .knex('host_tickets')
        .where({ id: Number(row.ticket_id) })
        .first()) as { raw: Buffer };
      const legacy = legacyMessageKey(ticket.raw);
      const dedupeKey = `${account.id}:${legacy}`;
      await world
        .knex('oauth2_mail_deliveries')
        .where({ id: row.id })
        .update({ message_key: legacy, dedupe_key: dedupeKey, message_key_rule: 'legacy' });
      await world
        .knex('host_tickets')
        .where({ id: Number(row.ticket_id) })
        .update({ dedupe_key: dedupeKey });
    }
    await dovecot.recreateMailbox(mailbox);
    const twin = Buffer.from(originals[0]!.toString('latin1').replace('Body of', 'Evil of'), 'latin1');
    expect(twin.length).toBe(originals[0]!.length);
    expect(legacyMessageKey(twin)).toBe(legacyMessageKey(originals[0]!));
    await dovecot.seed(mailbox, [twin]);
    const [rescan] = await world.poll(account.id);
    expect(rescan).toMatchObject({ outcome: 'polled', fetched: 1, duplicates: 3, failed: 0 });
    expect((await ticketsOf(account.id)).map((t) => t.sha256)).toEqual([...originals, twin].map((raw) => sha256(raw)));
    const [again] = await world.poll(account.id);
    expect(again).toMatchObject({ fetched: 0, duplicates: 0 });
  });

  it('quarantines a message the host keeps rejecting after N tries, with one notification, and moves on', async () => {
    poison.add('POISON-hank');
    await dovecot.seed('hank@example.test', [
      numberedMessage(1, 'hank').raw,
      Buffer.from('Message-ID: <p@hank>\r\nSubject: POISON-hank\r\n\r\nx\r\n'),
      numberedMessage(3, 'hank').raw,
    ]);
    const account = await world.addAccount('hank@example.test');
    const [first] = await world.poll(account.id);
    expect(first).toMatchObject({ outcome: 'polled', fetched: 2, failed: 1, quarantined: 0, status: 'connected' });
    expect(await world.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 1 });
    await dovecot.seed('hank@example.test', [numberedMessage(4, 'hank').raw]);
    const [second] = await world.poll(account.id);
    expect(second).toMatchObject({ fetched: 1, failed: 1, quarantined: 1 });
    expect(await world.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 4 });
    const [third] = await world.poll(account.id);
    expect(third).toMatchObject({ fetched: 0, failed: 0 });
    const quarantine = (await world.openNotifications()).filter((n) =>
      n.key.includes(`message:${account.id}:quarantined`),
    );
    expect(quarantine).toEqual([expect.objectContaining({ occurrences: 1 })]);
    const events = await world.repositories.events.list({ accountId: account.id, limit: 100 });
    expect(events.filter((e) => e.type === 'message_quarantined')).toHaveLength(1);
    // the poison message stays on the server, unseen; the others were handled
    expect((await flagsOf('hank@example.test', 'INBOX')).map((m) => m.seen)).toEqual([true, false, true, true]);
    expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual([
      '<hank-1@example.test>',
      '<hank-3@example.test>',
      '<hank-4@example.test>',
    ]);
  });

  it('a post-fetch action refused for the set (a move to a missing folder, a UID expunged meanwhile): nothing lost or doubled', async () => {
    const mailbox = 'quinn@example.test';
    const moved = [1, 2, 3, 4].map((n) => numberedMessage(n, 'quinn-move').raw);
    await dovecot.seed(mailbox, moved, 'MoveFrom');
    const mover = await world.addAccount(mailbox, { folder: 'MoveFrom', postFetch: 'move:NotThereYet' });
    const [refused] = await world.poll(mover.id);
    // UID MOVE 1:4 is refused as a whole, then each UID alone: the rows stay `ingested`, the action is reported.
    expect(refused).toMatchObject({ outcome: 'polled', fetched: 4, error: { code: 'ERR_MAIL_OPERATION_FAILED' } });
    const rowsOf = async (accountId: string, folder: string) =>
      (
        await world.ledger.listDeliveries({
          accountId,
          folder,
          uidValidity: (await world.ledger.getCursor(accountId, folder))!.uidValidity,
        })
      ).map((d) => d.state);
    expect(await rowsOf(mover.id, 'MoveFrom')).toEqual(Array(4).fill('ingested'));
    expect(await flagsOf(mailbox, 'MoveFrom')).toHaveLength(4);
    await dovecot.seed(mailbox, [], 'NotThereYet');
    const [retried] = await world.poll(mover.id);
    expect(retried).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0 });
    expect(retried.error).toBeUndefined();
    expect(await flagsOf(mailbox, 'MoveFrom')).toEqual([]);
    expect((await flagsOf(mailbox, 'NotThereYet')).map((m) => m.sha)).toEqual(moved.map(sha256));
    expect(await rowsOf(mover.id, 'MoveFrom')).toEqual(Array(4).fill('post_action_done'));
    expect(await ticketsOf(mover.id)).toHaveLength(4);

    // Another client expunges UID 2 while the group is with the host: the STORE of 1:4 still marks the others.
    const seen = [1, 2, 3, 4].map((n) => numberedMessage(n, 'quinn-seen').raw);
    await dovecot.seed(mailbox, seen, 'SeenFrom');
    const marker = '<quinn-seen-3@example.test>';
    whenIngested.set(marker, () =>
      inspect(mailbox, 'SeenFrom', async (client) => {
        await client.messageDelete('2', { uid: true });
      }),
    );
    const marking = await world.addAccount(mailbox, { folder: 'SeenFrom', postFetch: 'mark_seen' });
    const [first] = await world.poll(marking.id);
    expect(first).toMatchObject({ outcome: 'polled', fetched: 4 });
    expect(whenIngested.has(marker)).toBe(false);
    const [second] = await world.poll(marking.id);
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0 });
    expect(second.error).toBeUndefined();
    expect((await flagsOf(mailbox, 'SeenFrom')).map((m) => [m.uid, m.seen])).toEqual([
      [1, true],
      [3, true],
      [4, true],
    ]);
    expect(await rowsOf(marking.id, 'SeenFrom')).toEqual(Array(4).fill('post_action_done'));
    expect((await ticketsOf(marking.id)).map((t) => t.sha256)).toEqual(seen.map(sha256));
  });

  it('leaves a message over fetch.maxMessageBytes on the server, records it as skipped and reports it once', async () => {
    const big = largeMessage(5, 'iris-big').raw;
    await dovecot.seed('iris@example.test', [numberedMessage(1, 'iris').raw, big, numberedMessage(3, 'iris').raw]);
    const account = await world.addAccount('iris@example.test');
    const [result] = await world.poll(account.id);
    expect(result).toMatchObject({ outcome: 'polled', fetched: 2, skipped: 1, failed: 0, status: 'connected' });
    expect(
      await world.ledger.findDelivery({
        accountId: account.id,
        folder: 'INBOX',
        uidValidity: (await world.ledger.getCursor(account.id, 'INBOX'))!.uidValidity,
        uid: 2,
      }),
    ).toMatchObject({ state: 'skipped', size: big.length });
    expect(await world.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 3 });
    const [again] = await world.poll(account.id);
    expect(again).toMatchObject({ fetched: 0, skipped: 0 });
    const skippedNotes = (await world.openNotifications()).filter((n) =>
      n.key.includes(`message:${account.id}:skipped`),
    );
    expect(skippedNotes).toEqual([expect.objectContaining({ occurrences: 1 })]);
    expect(
      (await world.repositories.events.list({ accountId: account.id, limit: 50 })).filter(
        (e) => e.type === 'message_skipped' && e.code === 'ERR_MESSAGE_TOO_LARGE',
      ),
    ).toHaveLength(1);
    expect((await flagsOf('iris@example.test', 'INBOX')).map((m) => m.seen)).toEqual([true, false, true]);
    expect((await ticketsOf(account.id)).map((t) => t.messageId)).toEqual([
      '<iris-1@example.test>',
      '<iris-3@example.test>',
    ]);
  });

  it('never writes a token into the log or the events', async () => {
    const rows = await world.repositories.tokens.find('1');
    expect(rows?.accessToken).toBeTruthy();
    const haystack =
      JSON.stringify(world.logger.lines) + JSON.stringify(await world.repositories.events.list({ limit: 1000 }));
    expect(haystack).not.toContain(rows!.accessToken);
    if (rows!.refreshToken) expect(haystack).not.toContain(rows!.refreshToken);
  });
});
