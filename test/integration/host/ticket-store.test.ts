/**
 * The host ticket store on every available database: ingest is idempotent on dedupeKey (also for two
 * connections racing with the same key), headers are read robustly, raw bytes are kept exactly.
 */
import { createHash } from 'node:crypto';
import { createKnex } from '../../../host/create-knex';
import { migrateHost } from '../../../host/host-migrations';
import { TicketStore } from '../../../host/ticket-store';
import type { InboundMessage } from '../../../plugin/ports/host';
import { testDatabases, type TestDatabase } from '../../helpers/databases';

jest.setTimeout(120_000);

function message(dedupeKey: string, raw: Buffer | string, accountId = 'acc-1'): InboundMessage {
  return {
    sourceId: 'oauth2-mail.imap',
    accountId,
    dedupeKey,
    raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
    receivedAt: new Date('2026-03-01T10:00:00Z'),
  };
}

const PLAIN = [
  'Message-ID: <m1@example.test>',
  'From: "Zoë Example" <zoe@example.test>',
  'To: support@example.test',
  'Subject: =?UTF-8?B?UHLDvGZ1bmcg4pyT?=',
  'Date: Sun, 01 Mar 2026 10:00:00 +0000',
  '',
  'Body line',
  '',
].join('\r\n');

describe.each(testDatabases())('TicketStore on $name', (provider) => {
  let db: TestDatabase;
  let store: TicketStore;

  beforeAll(async () => {
    db = await provider.create();
    await migrateHost(db.knex);
    store = new TicketStore(db.knex);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('creates one ticket with parsed headers and the exact raw bytes', async () => {
    const result = await store.ingest(message('acc-1:7:1', PLAIN));
    expect(result.duplicate).toBe(false);
    const ticket = await store.find(result.ticketId);
    expect(ticket).toMatchObject({
      accountId: 'acc-1',
      sourceId: 'oauth2-mail.imap',
      dedupeKey: 'acc-1:7:1',
      messageId: '<m1@example.test>',
      subject: 'Prüfung ✓',
      from: '"Zoë Example" <zoe@example.test>',
      size: Buffer.byteLength(PLAIN),
      sha256: createHash('sha256').update(PLAIN).digest('hex'),
      receivedAt: Date.parse('2026-03-01T10:00:00Z'),
    });
    expect((await store.raw(result.ticketId))?.equals(Buffer.from(PLAIN))).toBe(true);
  });

  it('returns the first result for a second ingest with the same key', async () => {
    const first = await store.ingest(message('acc-1:7:2', PLAIN));
    const before = await store.count();
    const second = await store.ingest(message('acc-1:7:2', `${PLAIN}changed`));
    expect(second).toEqual({ ticketId: first.ticketId, duplicate: true });
    expect(await store.count()).toBe(before);
    expect((await store.raw(first.ticketId))?.equals(Buffer.from(PLAIN))).toBe(true);
  });

  it('creates exactly one ticket when two connections ingest the same key at once', async () => {
    const other = createKnex(db.url);
    try {
      const otherStore = new TicketStore(other);
      const before = await store.count();
      const results = await Promise.all([
        store.ingest(message('acc-1:7:race', PLAIN)),
        otherStore.ingest(message('acc-1:7:race', PLAIN)),
        store.ingest(message('acc-1:7:race', PLAIN)),
      ]);
      expect(new Set(results.map((r) => r.ticketId)).size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await store.count()).toBe(before + 1);
    } finally {
      await other.destroy();
    }
  });

  it('ingests a batch in one transaction: idempotent per key, in order, a key twice made once, all or nothing', async () => {
    const known = await store.ingest(message('acc-1:7:b0', PLAIN));
    const before = await store.count();
    const results = await store.ingestMany([
      message('acc-1:7:b1', `${PLAIN}1`),
      message('acc-1:7:b0', `${PLAIN}other`),
      message('acc-1:7:b2', `${PLAIN}2`),
      message('acc-1:7:b1', `${PLAIN}1`),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false, true]);
    expect(results[1]!.ticketId).toBe(known.ticketId);
    expect(results[3]!.ticketId).toBe(results[0]!.ticketId);
    expect(await store.count()).toBe(before + 2);
    expect((await store.raw(results[2]!.ticketId))?.equals(Buffer.from(`${PLAIN}2`))).toBe(true);
    expect(await store.ingestMany([])).toEqual([]);
    // A message the store refuses makes nothing of the batch.
    await expect(store.ingestMany([message('acc-1:7:b3', PLAIN), message('', PLAIN)])).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    expect(await store.count()).toBe(before + 2);
    // A second connection racing on the same keys: each key still one ticket.
    const other = createKnex(db.url);
    try {
      const batch = [message('acc-1:7:r1', PLAIN), message('acc-1:7:r2', PLAIN)];
      const [mine, theirs] = await Promise.all([store.ingestMany(batch), new TicketStore(other).ingestMany(batch)]);
      expect(mine.map((r) => r.ticketId)).toEqual(theirs.map((r) => r.ticketId));
      expect([...mine, ...theirs].filter((r) => !r.duplicate)).toHaveLength(2);
      expect(await store.count()).toBe(before + 4);
    } finally {
      await other.destroy();
    }
  });

  it('stores unparsable mail anyway, with empty headers', async () => {
    const garbage = Buffer.concat([
      Buffer.from('Subject: =?x-unknown?Q?=ZZ=?=\r\nFrom: <<<@@@>>>\r\nX-Broken\r\n\x00\xff\r\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    ]);
    const result = await store.ingest(message('acc-1:7:garbage', garbage));
    expect(result.duplicate).toBe(false);
    expect((await store.raw(result.ticketId))?.equals(garbage)).toBe(true);
    const empty = await store.ingest(message('acc-1:7:empty', Buffer.alloc(0)));
    const ticket = await store.find(empty.ticketId);
    expect(ticket).toMatchObject({ size: 0, subject: null, from: null, messageId: null });
  });

  it('keeps a message larger than 64 KB byte for byte (BLOB limits)', async () => {
    const attachment = Buffer.alloc(300 * 1024, 0x41);
    const raw = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), attachment]);
    const result = await store.ingest(message('acc-1:7:big', raw));
    const stored = await store.raw(result.ticketId);
    expect(stored?.length).toBe(raw.length);
    expect(stored?.equals(raw)).toBe(true);
    expect((await store.find(result.ticketId))?.subject).toBe('big');
  });

  it('refuses a message without a dedupe key', async () => {
    await expect(store.ingest(message('', PLAIN))).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('lists newest first and filters by account', async () => {
    await store.ingest(message('acc-2:1:1', PLAIN, 'acc-2'));
    const all = await store.list();
    expect(all[0]?.dedupeKey).toBe('acc-2:1:1');
    expect((await store.list({ accountId: 'acc-2' })).map((t) => t.dedupeKey)).toEqual(['acc-2:1:1']);
  });
});
