/**
 * The host's durable outbox on every available database, with a real transport registered in the registry that
 * sends with nodemailer to the local SMTP sink: commit then send; retryable failures retried with backoff on an
 * injected clock (no sleeps) and sent once; non-retryable ones failed at once; a transport that is not registered
 * leaves the row queued; two workers on two connections never send one row twice; a lease of a dead process is
 * taken over at once, a live one only when it lapses; a worker that lost its lease cannot record an outcome.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { ContributionRegistry } from '../../../host/contribution-registry';
import { createKnex } from '../../../host/create-knex';
import { HOST_MIGRATIONS_TABLE, hostMigrationSource, migrateHost } from '../../../host/host-migrations';
import type { OutboxDraft } from '../../../host/outbox/outbox-entry';
import { OutboxStore } from '../../../host/outbox/outbox-store';
import { OutboxWorker, type OutboxWorkerOptions } from '../../../host/outbox/outbox-worker';
import { DEFAULT_RETRY_POLICY } from '../../../host/outbox/retry-policy';
import { ERROR_CODES } from '../../../plugin/errors';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import { headersOf, sinkTransport, type SinkTransport } from '../../helpers/sink-transport';
import { startSmtpSink, type SmtpSink } from '../../helpers/test-env';

jest.setTimeout(120_000);

const PLUGIN = 'test-plugin';
const ACCOUNT = { accountId: 'acc-1', address: 'support@helpdesk.example', title: 'support@helpdesk.example' };

/** A clock the test moves by hand. */
class Clock {
  constructor(public at = Date.UTC(2026, 11, 1, 12, 0, 0)) {}
  readonly now = () => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

function draft(n: number, extra: Partial<OutboxDraft> = {}): OutboxDraft {
  return {
    pluginId: PLUGIN,
    transportId: 'test-plugin.sink',
    accountId: ACCOUNT.accountId,
    from: ACCOUNT.address,
    to: [`customer${n}@customers.example`],
    subject: `Re: question ${n}`,
    text: `Answer ${n}\nsecond line\n.leading dot`,
    inReplyTo: `<q-${n}@customers.example>`,
    references: [`<q-0@customers.example>`, `<q-${n}@customers.example>`],
    ...extra,
  };
}

/** A pid that certainly does not run any more: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
});

afterAll(async () => {
  await sink?.stop();
});

function sunk(messageId: string) {
  return sink.messages.filter((m) => headersOf(m.raw).get('message-id') === messageId);
}

describe.each(testDatabases())('the outbox on $name', (provider) => {
  let db: TestDatabase;
  let store: OutboxStore;
  let clock: Clock;
  let registry: ContributionRegistry;
  let transport: SinkTransport;
  let logger: CapturingLogger;
  let unregister: () => void;

  const worker = (options: OutboxWorkerOptions = {}, on: OutboxStore = store) =>
    new OutboxWorker(on, registry, logger, { now: clock.now, random: () => 0, ...options });

  beforeAll(async () => {
    db = await provider.create();
    await migrateHost(db.knex);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  beforeEach(async () => {
    await db.knex('host_outbox').del();
    clock = new Clock();
    store = new OutboxStore(db.knex, clock.now);
    registry = new ContributionRegistry();
    transport = sinkTransport(sink.port, [ACCOUNT]);
    const handle = registry.addTransport(PLUGIN, transport);
    unregister = () => void handle.dispose();
    logger = new CapturingLogger();
  });

  test('the migration goes down and up again', async () => {
    const config = { migrationSource: hostMigrationSource, tableName: HOST_MIGRATIONS_TABLE };
    // Later host migrations (host_settings) go down first.
    while (await db.knex.schema.hasTable('host_outbox')) await db.knex.migrate.down(config);
    expect(await db.knex.schema.hasTable('host_settings')).toBe(false);
    expect(await db.knex.schema.hasTable('host_tickets')).toBe(true);
    await db.knex.migrate.latest(config);
    expect(await db.knex.schema.hasTable('host_outbox')).toBe(true);
    expect(await db.knex.schema.hasTable('host_settings')).toBe(true);
  });

  test('commit first, then send: sent with the server answer, the Message-ID fixed at commit', async () => {
    const committed = await store.commit(draft(1));
    expect(committed).toMatchObject({ state: 'queued', attempts: 0, nextAttemptAt: clock.at });
    expect(committed.messageId).toMatch(/^<[0-9a-f]{32}@helpdesk\.example>$/);
    await worker().drain();
    const sent = await store.find(committed.id);
    expect(sent).toMatchObject({
      state: 'sent',
      attempts: 1,
      nextAttemptAt: null,
      leaseOwner: null,
      lastErrorCode: null,
      accepted: ['customer1@customers.example'],
      rejected: [],
      sentAt: clock.at,
    });
    expect(sent?.response).toMatch(/^250 /);
    const [received, ...more] = sunk(committed.messageId);
    expect(more).toEqual([]);
    const headers = headersOf(received.raw);
    expect(headers.get('from')).toBe(ACCOUNT.address);
    expect(headers.get('to')).toBe('customer1@customers.example');
    expect(headers.get('in-reply-to')).toBe('<q-1@customers.example>');
    expect(headers.get('references')).toBe('<q-0@customers.example> <q-1@customers.example>');
    expect(headers.get('subject')).toBe('Re: question 1');
  });

  test('a retryable failure goes back to queued with backoff (30 s, then 60 s) and is sent once, same Message-ID', async () => {
    const committed = await store.commit(draft(2));
    transport.failNext('ERR_SMTP_TEMPORARY', 2);
    const w = worker();
    await w.drain();
    let row = await store.find(committed.id);
    expect(row).toMatchObject({
      state: 'queued',
      attempts: 1,
      lastErrorCode: 'ERR_SMTP_TEMPORARY',
      lastErrorMessage: 'test failure ERR_SMTP_TEMPORARY',
      nextAttemptAt: clock.at + 30_000,
      leaseOwner: null,
    });
    clock.advance(29_999);
    await w.drain();
    expect(transport.seen).toHaveLength(1);
    clock.advance(1);
    await w.drain();
    row = await store.find(committed.id);
    expect(row).toMatchObject({ state: 'queued', attempts: 2, nextAttemptAt: clock.at + 60_000 });
    clock.advance(60_000);
    await w.drain();
    row = await store.find(committed.id);
    expect(row).toMatchObject({ state: 'sent', attempts: 3, lastErrorCode: null });
    expect(transport.seen.map((s) => s.message.messageId)).toEqual(Array(3).fill(committed.messageId));
    expect(sunk(committed.messageId)).toHaveLength(1);
    // The log carries the code, never the body or the recipient.
    expect(logger.text()).toContain('ERR_SMTP_TEMPORARY');
    expect(logger.text()).not.toContain('customer2@customers.example');
    expect(logger.text()).not.toContain('Answer 2');
  });

  test('the backoff doubles with jitter up to the cap; the attempts run out -> failed', async () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 9 };
    const committed = await store.commit(draft(3));
    transport.failNext('ERR_TIMEOUT', 9);
    const w = worker({ retry: policy, random: () => 0.5 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt += 1) {
      await w.drain();
      const row = await store.find(committed.id);
      if (attempt < 9) {
        expect(row).toMatchObject({ state: 'queued', attempts: attempt });
        delays.push((row?.nextAttemptAt ?? 0) - clock.at);
        clock.advance(delays[delays.length - 1] ?? 0);
      } else {
        expect(row).toMatchObject({ state: 'failed', attempts: 9, lastErrorCode: 'ERR_TIMEOUT', nextAttemptAt: null });
      }
    }
    // 30 s doubling, 10 % off (jitter 0.2 at random 0.5), capped at 1 h.
    expect(delays).toEqual([27_000, 54_000, 108_000, 216_000, 432_000, 864_000, 1_728_000, 3_240_000]);
    expect(sunk(committed.messageId)).toHaveLength(0);
  });

  test('a non-retryable failure is failed at once with its code and message; the table has its fix', async () => {
    const committed = await store.commit(draft(4));
    transport.failNext('ERR_SMTP_SENDER_REFUSED');
    await worker().drain();
    const row = await store.find(committed.id);
    expect(row).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastErrorCode: 'ERR_SMTP_SENDER_REFUSED',
      lastErrorMessage: 'test failure ERR_SMTP_SENDER_REFUSED',
      nextAttemptAt: null,
    });
    expect(ERROR_CODES.ERR_SMTP_SENDER_REFUSED.fix).toMatch(/Send As/);
    clock.advance(24 * 3_600_000);
    await worker().drain();
    expect(transport.seen).toHaveLength(1);
  });

  test('anything else thrown becomes ERR_INTERNAL (retryable): queued again', async () => {
    const committed = await store.commit(draft(5));
    transport.failNext('plain');
    await worker().drain();
    expect(await store.find(committed.id)).toMatchObject({ state: 'queued', lastErrorCode: 'ERR_INTERNAL' });
    expect(logger.text()).toContain('something unexpected broke');
  });

  test('a transport that is not registered right now leaves the row queued, not failed; once back it is sent', async () => {
    const committed = await store.commit(draft(6));
    unregister();
    await worker().drain();
    expect(await store.find(committed.id)).toMatchObject({ state: 'queued', attempts: 0, lastErrorCode: null });
    registry.addTransport(PLUGIN, transport);
    await worker().drain();
    expect(await store.find(committed.id)).toMatchObject({ state: 'sent', attempts: 1 });
  });

  test('two workers on two connections drain the same rows at once: every row sent exactly once', async () => {
    const second: Knex = createKnex(db.url);
    try {
      const drafts = Array.from({ length: 24 }, (_, i) => draft(100 + i));
      const committed = [];
      for (const d of drafts) committed.push(await store.commit(d));
      const a = worker({ batchSize: 5, concurrency: 3 });
      const b = worker({ batchSize: 5, concurrency: 3 }, new OutboxStore(second, clock.now));
      expect(a.ownerId).not.toBe(b.ownerId);
      await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()]);
      const rows = await store.list({ limit: 100 });
      expect(rows.map((r) => r.state)).toEqual(Array(24).fill('sent'));
      expect(rows.map((r) => r.attempts)).toEqual(Array(24).fill(1));
      const sent = transport.seen.map((s) => s.message.messageId).sort();
      expect(sent).toEqual(committed.map((c) => c.messageId).sort());
      for (const c of committed) expect(sunk(c.messageId)).toHaveLength(1);
    } finally {
      await second.destroy();
    }
  });

  test('a row is leased only when its attempt starts: rows waiting for a lane stay queued', async () => {
    for (let n = 0; n < 6; n += 1) await store.commit(draft(200 + n));
    transport.hold();
    const draining = worker({ concurrency: 2 }).drain();
    let drainFailure: unknown = null;
    draining.catch((error: unknown) => (drainFailure = error));
    // Bounded, so a worker that stops early fails here with what it saw instead of hanging until jest's timeout.
    const deadline = Date.now() + 30_000;
    while (transport.seen.length < 2) {
      if (drainFailure !== null || Date.now() > deadline)
        throw new Error(
          `${transport.seen.length} attempt(s) started; rows ${JSON.stringify((await store.list()).map((r) => r.state))}; ` +
            `drain: ${drainFailure === null ? 'still running' : String(drainFailure)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const states = (await store.list()).map((row) => row.state).sort();
    expect(states).toEqual(['queued', 'queued', 'queued', 'queued', 'sending', 'sending']);
    transport.release();
    await draining;
    expect((await store.list()).map((row) => row.state)).toEqual(Array(6).fill('sent'));
  });

  test('rows waiting for a transport that is not registered do not hold up the others', async () => {
    for (let n = 0; n < 12; n += 1) await store.commit(draft(300 + n, { transportId: 'test-plugin.gone' }));
    const mine = await store.commit(draft(399));
    await worker({ batchSize: 5 }).drain();
    expect(await store.find(mine.id)).toMatchObject({ state: 'sent' });
    expect(await store.countByState()).toEqual({ queued: 12, sending: 0, sent: 1, failed: 0 });
  });

  test('a lease whose owner is a dead process on this host is taken over at once', async () => {
    const committed = await store.commit(draft(7));
    const dead = `${hostname()}:${deadPid()}:0badf00d`;
    await db
      .knex('host_outbox')
      .where({ id: Number(committed.id) })
      .update({ state: 'sending', attempts: 1, lease_owner: dead, lease_until: clock.at + 3_600_000 });
    await worker().drain();
    expect(await store.find(committed.id)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(sunk(committed.messageId)).toHaveLength(1);
    expect(logger.text()).toContain('no longer runs');
  });

  test("a live owner's lease (or another host's) is left alone until it lapses", async () => {
    const live = await store.commit(draft(8));
    const elsewhere = await store.commit(draft(9));
    const until = clock.at + 60_000;
    await db
      .knex('host_outbox')
      .where({ id: Number(live.id) })
      .update({
        state: 'sending',
        attempts: 1,
        lease_owner: `${hostname()}:${process.pid}:1234abcd`,
        lease_until: until,
      });
    await db
      .knex('host_outbox')
      .where({ id: Number(elsewhere.id) })
      .update({
        state: 'sending',
        attempts: 1,
        lease_owner: `other-host.example:${deadPid()}:1234abcd`,
        lease_until: until,
      });
    await worker().drain();
    expect(transport.seen).toHaveLength(0);
    clock.advance(60_001);
    await worker().drain();
    expect(await store.find(live.id)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(await store.find(elsewhere.id)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  test('a worker whose lease lapsed and was taken over cannot record its outcome', async () => {
    const committed = await store.commit(draft(10));
    const first = await store.claim(committed.id, 'host-a:1:aa', clock.at + 1_000, { kind: 'due' });
    expect(first).toMatchObject({ state: 'sending', attempts: 1, leaseOwner: 'host-a:1:aa' });
    expect(await store.claim(committed.id, 'host-b:2:bb', clock.at + 1_000, { kind: 'due' })).toBeNull();
    clock.advance(1_001);
    const second = await store.claim(committed.id, 'host-b:2:bb', clock.at + 60_000, { kind: 'lapsed' });
    expect(second).toMatchObject({ attempts: 2, leaseOwner: 'host-b:2:bb' });
    const outcome = { response: '250 ok', accepted: ['x@y.example'], rejected: [] };
    expect(await store.renew({ id: committed.id, owner: 'host-a:1:aa', attempt: 1 }, clock.at + 60_000)).toBe(false);
    expect(await store.markSent({ id: committed.id, owner: 'host-a:1:aa', attempt: 1 }, outcome)).toBe(false);
    expect(await store.markSent({ id: committed.id, owner: 'host-b:2:bb', attempt: 2 }, outcome)).toBe(true);
    expect(await store.find(committed.id)).toMatchObject({ state: 'sent', attempts: 2, response: '250 ok' });
  });

  test('stop claims nothing more and waits only its grace for an attempt in flight', async () => {
    const first = await store.commit(draft(12));
    const w = worker({ stopGraceMs: 50, concurrency: 1 });
    transport.hold();
    w.kick();
    while (transport.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await store.commit(draft(13));
    await w.stop();
    expect(await store.find(first.id)).toMatchObject({ state: 'sending', leaseOwner: w.ownerId });
    w.kick();
    await w.drain();
    expect(await store.find(second.id)).toMatchObject({ state: 'queued', attempts: 0 });
    transport.release();
    // The attempt in flight still records its own outcome (its lease holds); nothing else was claimed.
    while ((await store.find(first.id))?.state !== 'sent') await new Promise((resolve) => setTimeout(resolve, 10));
    expect(transport.seen).toHaveLength(1);
  });

  test('sendNow commits leased to the worker and makes the first attempt at once; nobody else claims it', async () => {
    const w = worker();
    transport.hold();
    const sending = w.sendNow(draft(11));
    await new Promise((resolve) => setImmediate(resolve));
    while (transport.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const [row] = await store.list({ limit: 1 });
    expect(row).toMatchObject({ state: 'sending', attempts: 1, leaseOwner: w.ownerId });
    await worker().drain();
    expect(transport.seen).toHaveLength(1);
    transport.release();
    expect(await sending).toMatchObject({ state: 'sent', attempts: 1 });
  });
});
