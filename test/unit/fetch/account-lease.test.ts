// The account lease through the polling cycle (fakes): taken over at once from a dead process on this host, a live
// or foreign one respected until it lapses, renewed while a poll runs, and a poll that lost it stops before its
// next write. The fetched counter counts what the host was handed, whatever happens to the poll.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { PluginError } from '../../../plugin/errors';
import { ACCOUNT_LEASE_MS } from '../../../plugin/fetch/account-lease';
import { harness, mail } from './harness';

/** A pid that ran and ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

const DAY = 24 * 3600_000;
/** One message per listed batch, so one per settled group: these tests stop a poll between two groups. */
const ONE_PER_GROUP = { batchSize: 1 };

describe('account lease (fakes)', () => {
  it('takes over at once the lease of a process on this host that is gone, in the first cycle', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    h.clock.advance(DAY);
    const dead = `${hostname()}:${deadPid()}:0a1b2c3d`;
    expect(await h.accounts.acquireLease(account.id, dead, h.clock.now() + ACCOUNT_LEASE_MS, h.clock.now())).toBe(true);
    const [result] = await h.cycle.run({ signal: new AbortController().signal });
    expect(result).toMatchObject({ outcome: 'polled', fetched: 1 });
    expect(h.logger.lines.some((l) => l.msg.includes('took over the poll lease'))).toBe(true);
    expect((await h.accounts.find(account.id))?.lease).toBeNull();
  });

  it('respects a lease of a live process on this host and of another host until it lapses, about a minute', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    for (const owner of [`${hostname()}:${process.ppid}:0a1b2c3d`, `elsewhere.example:${deadPid()}:0a1b2c3d`]) {
      h.clock.advance(DAY);
      const until = h.clock.now() + ACCOUNT_LEASE_MS;
      await h.accounts.acquireLease(account.id, owner, until, h.clock.now());
      const [busy] = await h.cycle.run({ signal: new AbortController().signal });
      expect(busy).toMatchObject({ outcome: 'busy', fetched: 0 });
      h.clock.advance(until - 1 - h.clock.now());
      expect(await h.cycle.run({ signal: new AbortController().signal, accountId: account.id })).toMatchObject([
        { outcome: 'busy' },
      ]);
      expect((await h.accounts.find(account.id))?.lease?.owner).toBe(owner);
    }
    h.clock.advance(2);
    const [polled] = await h.cycle.run({ signal: new AbortController().signal, accountId: account.id });
    expect(polled).toMatchObject({ outcome: 'polled', fetched: 1 });
    expect(h.host.calls).toBe(1);
  });

  it('renews the lease while a poll runs, so no one else can take it though the poll outlasts one lease', async () => {
    const h = harness(ONE_PER_GROUP, { leaseTiming: { durationMs: 1_000, renewEveryMs: 20 } });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 3; i++) folder.add(mail(i));
    h.clock.advance(DAY);
    const claimedAt = h.clock.now();
    let duringPoll: { until?: number; otherClaimed?: boolean } = {};
    h.server.faults.downloadDelayMs = (uid) => {
      if (uid === 2) h.clock.advance(5_000);
      return uid === 2 ? 150 : 0;
    };
    h.server.faults.download = (uid) => {
      if (uid === 3)
        void h.accounts.find(account.id).then(async (found) => {
          duringPoll = {
            until: found?.lease?.until,
            otherClaimed: await h.accounts.acquireLease(account.id, 'other', h.clock.now() + 1_000, h.clock.now()),
          };
        });
      return null;
    };
    const [result] = await h.cycle.run({ signal: new AbortController().signal });
    expect(result).toMatchObject({ outcome: 'polled', fetched: 3 });
    expect(duringPoll.until).toBeGreaterThan(claimedAt + 5_000);
    expect(duringPoll.otherClaimed).toBe(false);
    expect((await h.accounts.find(account.id))?.lease).toBeNull();
  });

  it('a poll whose lease another process took stops at the next heartbeat and hands the host nothing more', async () => {
    const h = harness(ONE_PER_GROUP, { leaseTiming: { durationMs: 60_000, renewEveryMs: 20 } });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    h.clock.advance(DAY);
    h.server.faults.downloadDelayMs = (uid) => {
      // Another process takes over (as if this one had been frozen past its lease) while message 2 downloads.
      if (uid === 2) void h.accounts.takeOverLease(account.id, 'test-process', 'other', h.clock.now() + 60_000);
      return uid === 2 ? 200 : 0;
    };
    const [result] = await h.cycle.run({ signal: new AbortController().signal });
    expect(result).toMatchObject({ outcome: 'busy', fetched: 1, status: 'connected' });
    expect(h.host.calls).toBe(1);
    expect(h.ledger.deliveries.map((d) => d.uid)).toEqual([1]);
    expect(await h.accounts.find(account.id)).toMatchObject({
      lease: { owner: 'other' },
      failureCount: 0,
      status: 'connected',
      messagesFetched: 1,
    });
    expect(h.notify.sent).toEqual([]);
  });

  it('a poll whose lease was taken between heartbeats writes nothing more: the ledger refuses (ERR_LEASE_LOST)', async () => {
    const h = harness(ONE_PER_GROUP, { leaseTiming: { durationMs: 60_000, renewEveryMs: 3_600_000 } });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    h.clock.advance(DAY);
    h.server.faults.download = (uid) => {
      if (uid === 3) void h.accounts.takeOverLease(account.id, 'test-process', 'other', h.clock.now() + 60_000);
      return null;
    };
    const [result] = await h.cycle.run({ signal: new AbortController().signal });
    expect(result).toMatchObject({ outcome: 'busy', status: 'connected' });
    // Message 3 reached the host (idempotent on its dedupe key) but not the ledger; 4 was never looked at.
    expect(h.host.calls).toBe(3);
    expect(h.ledger.deliveries.map((d) => d.uid)).toEqual([1, 2]);
    expect(await h.accounts.find(account.id)).toMatchObject({ lease: { owner: 'other' }, messagesFetched: 2 });

    // The other process is done; the next poll here settles 3 (the host says duplicate) and 4, each counted once.
    await h.accounts.releaseLease(account.id, 'other');
    h.server.faults.download = undefined;
    const [next] = await h.poll();
    expect(next).toMatchObject({ outcome: 'polled', fetched: 1, duplicates: 1 });
    expect(await h.accounts.find(account.id)).toMatchObject({ messagesFetched: h.host.tickets.size });
    expect(h.host.tickets.size).toBe(4);
  });

  it('stops before the lease would lapse when it cannot be renewed (the database does not answer)', async () => {
    const h = harness(ONE_PER_GROUP, { leaseTiming: { durationMs: 1_000, renewEveryMs: 20 } });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 3; i++) folder.add(mail(i));
    h.clock.advance(DAY);
    h.accounts.renewLease = async () => {
      throw new PluginError('ERR_DATABASE_UNAVAILABLE');
    };
    h.server.faults.downloadDelayMs = (uid) => {
      if (uid === 2) h.clock.advance(990);
      return uid === 2 ? 200 : 0;
    };
    const [result] = await h.cycle.run({ signal: new AbortController().signal });
    expect(result).toMatchObject({ outcome: 'busy', fetched: 1 });
    expect(h.host.calls).toBe(1);
    expect(h.logger.lines.some((l) => l.msg.includes('could not renew the account lease'))).toBe(true);
  });
});

describe('messages fetched counter (fakes)', () => {
  it('counts with each ledger write, so a poll that never records its end still counts what the host got', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 5; i++) folder.add(mail(i));
    // As after a kill -9: the poll's own bookkeeping at its end never happens.
    h.accounts.recordPoll = async () => {
      throw new PluginError('ERR_DATABASE_UNAVAILABLE');
    };
    await h.poll();
    expect(h.host.tickets.size).toBe(5);
    expect((await h.accounts.find(account.id))?.messagesFetched).toBe(5);
  });

  it('after a crash between ingest and the ledger write, the counter still equals the tickets', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    h.ledger.failNextRecord = new PluginError('ERR_DATABASE_UNAVAILABLE', 'database went away');
    await h.poll();
    await h.poll();
    expect(h.host.tickets.size).toBe(4);
    expect((await h.accounts.find(account.id))?.messagesFetched).toBe(4);
    // A rescan that finds the same messages again (a new UIDVALIDITY) makes no ticket and counts nothing.
    folder.recreate();
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    await h.poll();
    expect((await h.accounts.find(account.id))?.messagesFetched).toBe(4);
  });
});
