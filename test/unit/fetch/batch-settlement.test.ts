// The IMAP batch loop (plugin/fetch/folder-sync.ts, settlement-groups.ts): one FETCH, one host batch, one ledger
// transaction and one post-fetch command per group; a message the host rejects, a set the server refuses in part,
// the size limit, and the one-at-a-time paths for a host or a session without batch calls.
import { PluginError } from '../../../plugin/errors';
import { settlementGroups } from '../../../plugin/fetch/settlement-groups';
import type { MessageSummary } from '../../../plugin/ports/mail-fetcher';
import { harness, mail } from './harness';

const summary = (uid: number, size: number): MessageSummary => ({ uid, size, internalDate: null, seen: false });

describe('settlement groups', () => {
  it('bounds a group by the listed bytes it downloads; a large message alone; what is not downloaded rides along', () => {
    const batch = [summary(1, 40), summary(2, 40), summary(3, 40), summary(4, 500), summary(5, 10), summary(6, 0)];
    const groups = settlementGroups(batch, (s) => s.uid !== 3, 100);
    expect(groups.map((group) => group.map((s) => s.uid))).toEqual([[1, 2, 3], [4], [5, 6]]);
    expect(settlementGroups([], () => true, 100)).toEqual([]);
  });
});

describe('batch settlement (fakes)', () => {
  it('settles a group with one FETCH, one host batch, one ledger write and one STORE for the UID set', async () => {
    const h = harness({ batchSize: 4 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 6; i++) folder.add(mail(i));
    const writes = jest.spyOn(h.ledger, 'recordDeliveries');
    const [result] = await h.poll();
    expect(result).toMatchObject({ outcome: 'polled', fetched: 6, status: 'connected' });
    expect(h.server.commands).toEqual([
      'downloadMany 1,2,3,4',
      'markSeenMany 1,2,3,4',
      'downloadMany 5,6',
      'markSeenMany 5,6',
    ]);
    expect(h.host.batches).toEqual([4, 2]);
    expect(writes).toHaveBeenCalledTimes(2);
    expect(writes.mock.calls.map(([batch]) => [batch.deliveries.length, batch.cursor?.uid])).toEqual([
      [4, 4],
      [2, 6],
    ]);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(6).fill('post_action_done'));
    expect([...folder.messages.values()].every((m) => m.seen)).toBe(true);
    expect(await h.accounts.find(account.id)).toMatchObject({ messagesFetched: 6 });
  });

  it('a host that rejects one message of a batch: the others get their tickets, that one is quarantined after N tries', async () => {
    const h = harness({ batchSize: 5, quarantineAfter: 2 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 5; i++) folder.add(mail(i));
    h.host.reject = (message) => (message.raw.includes('Subject: message 3') ? new Error('no such queue') : null);
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 4, failed: 1, quarantined: 0, duplicates: 0 });
    expect(h.host.tickets.size).toBe(4);
    // The cursor stops before the pending message; the ones after it are settled and not handed over again.
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 2 });
    expect(h.ledger.deliveries.map((d) => [d.uid, d.state])).toEqual([
      [1, 'post_action_done'],
      [2, 'post_action_done'],
      [3, 'pending'],
      [4, 'post_action_done'],
      [5, 'post_action_done'],
    ]);
    expect(folder.messages.get(3)?.seen).toBe(false);
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, failed: 1, quarantined: 1 });
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 5 });
    expect(h.notify.sent.filter((n) => n.severity === 'error')).toHaveLength(1);
    // The refused batch of 5, the same 5 one at a time, then message 3 alone.
    expect(h.host.calls).toBe(5 + 5 + 1);
    expect(h.host.batches).toEqual([5]);
    expect(await h.accounts.find(account.id)).toMatchObject({ messagesFetched: 4 });
  });

  it('a STORE refused for part of the set: the UIDs are tried one by one, the refused one stays due, nothing is lost', async () => {
    const h = harness({ batchSize: 4 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    let refuse = true;
    h.server.faults.markSeen = (uid) =>
      refuse && uid === 2 ? new PluginError('ERR_MAIL_OPERATION_FAILED', 'mark UID 2 seen: refused') : null;
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 4 });
    expect(h.server.commands).toEqual([
      'downloadMany 1,2,3,4',
      'markSeenMany 1,2,3,4',
      'markSeen 1',
      'markSeen 2',
      'markSeen 3',
      'markSeen 4',
    ]);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual([
      'post_action_done',
      'ingested',
      'post_action_done',
      'post_action_done',
    ]);
    expect(h.logger.lines.some((l) => l.msg.includes('post-fetch action refused'))).toBe(true);
    refuse = false;
    h.server.commands.length = 0;
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0 });
    expect(h.server.commands).toEqual(['markSeen 2']);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(4).fill('post_action_done'));
    expect(h.host.tickets.size).toBe(4);
  });

  it('a move to a folder that is gone: the whole set stays due and moves once the folder exists', async () => {
    const h = harness({ batchSize: 10 });
    const account = await h.addAccount({ initialSync: 'all', postFetch: 'move:Done' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 3; i++) folder.add(mail(i));
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 3 });
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(3).fill('ingested'));
    h.server.folder(account.mailbox, 'Done');
    h.server.commands.length = 0;
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0 });
    expect(h.server.commands).toEqual(['moveMany 1,2,3']);
    expect(h.server.folder(account.mailbox, 'Done').messages.size).toBe(3);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(3).fill('post_action_done'));
  });

  it('a message over the size limit in a group is left on the server and reported once; the rest settle', async () => {
    const h = harness({ batchSize: 10, maxMessageBytes: 1000 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    folder.add(mail(1));
    folder.add(mail(2, 'x'.repeat(2000)));
    folder.add(mail(3));
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 2, skipped: 1 });
    expect(h.server.commands[0]).toBe('downloadMany 1,3');
    expect(h.ledger.deliveries.map((d) => [d.uid, d.state])).toEqual([
      [1, 'post_action_done'],
      [2, 'skipped'],
      [3, 'post_action_done'],
    ]);
    await h.poll();
    expect(h.notify.sent.filter((n) => n.severity === 'warning')).toHaveLength(1);
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 3 });
  });

  it('a session without set commands acts per UID; the loop keeps its guarantees', async () => {
    const h = harness({ batchSize: 3 }, {}, { setCommands: false });
    const account = await h.addAccount({ initialSync: 'all', postFetch: 'delete' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 3; i++) folder.add(mail(i));
    const [result] = await h.poll();
    expect(result).toMatchObject({ outcome: 'polled', fetched: 3 });
    expect(h.server.commands).toEqual(['download 1', 'download 2', 'download 3', 'delete 1', 'delete 2', 'delete 3']);
    expect(folder.messages.size).toBe(0);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(3).fill('post_action_done'));
  });
});
