// The POP3 maildrop loop over the memory ledger and an in-memory maildrop: rejections end in quarantine, a message
// gone between listing and RETR is settled later, a refused DELE is retried, deletions wait for a confirmed QUIT.
import { PluginError } from '../../../plugin/errors';
import { emptyCounts } from '../../../plugin/fetch/message-settlement';
import { Pop3Sync } from '../../../plugin/fetch/pop3-sync';
import type { MailAccount } from '../../../plugin/ports/account-repository';
import type { Pop3Message, Pop3Session, Pop3Stat } from '../../../plugin/ports/pop3-mailbox';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeHostMail } from '../../helpers/fakes/fake-host-mail';
import { ManualClock } from '../../helpers/manual-clock';
import { createMemoryRepositories } from '../../helpers/memory';
import { MemoryNotify } from '../../helpers/memory-notify';
import { mail } from './harness';

/** A maildrop: messages by UIDL; DELE marks, QUIT commits (unless `quitFails`). */
class MemoryMaildrop {
  messages: Array<{ uidl: string; raw: Buffer }> = [];
  quitFails = false;
  refuseDelete = false;
  /** UIDLs whose RETR finds the message gone once. */
  vanishOnce = new Set<string>();

  session(): Pop3Session {
    const listed = [...this.messages];
    const marked = new Set<number>();
    return {
      mechanism: 'XOAUTH2',
      stat: async (): Promise<Pop3Stat> => ({ count: listed.length, octets: 0 }),
      list: async (): Promise<Pop3Message[]> =>
        listed.map((m, i) => ({ number: i + 1, uidl: m.uidl, size: m.raw.length })),
      retrieve: async (number) => {
        const message = listed[number - 1]!;
        if (this.vanishOnce.delete(message.uidl)) return null;
        return message.raw;
      },
      delete: async (number) => {
        if (this.refuseDelete) throw new PluginError('ERR_MAIL_OPERATION_FAILED', `DELE ${number}: refused`);
        marked.add(number);
      },
      quit: async () => {
        if (this.quitFails) return false;
        const gone = new Set([...marked].map((n) => listed[n - 1]!.uidl));
        this.messages = this.messages.filter((m) => !gone.has(m.uidl));
        return true;
      },
      close: async () => undefined,
    };
  }
}

async function world(postFetch: 'keep' | 'delete') {
  const clock = new ManualClock();
  const repos = createMemoryRepositories(clock);
  const app = await repos.apps.create({ name: 'M', provider: 'generic', clientId: 'c', clientSecret: 's' });
  const account: MailAccount = await repos.accounts.create({
    appId: app.id,
    mailbox: 'help@example.test',
    protocol: 'pop3',
    host: 'pop.example.test',
    port: 995,
    tls: 'implicit',
    initialSync: 'all',
    postFetch,
  });
  const host = new FakeHostMail();
  const notify = new MemoryNotify();
  const sync = new Pop3Sync({
    ledger: repos.ledger,
    mail: host,
    notify,
    events: repos.events,
    logger: new CapturingLogger(),
    clock,
    settings: { batchSize: 10, maxMessageBytes: 10_000, concurrency: 1, accountTimeoutSeconds: 30, quarantineAfter: 2 },
  });
  const drop = new MemoryMaildrop();
  const run = async () => {
    clock.advance(1000);
    const counts = emptyCounts();
    await sync.run({ account, session: drop.session(), signal: new AbortController().signal, counts });
    return counts;
  };
  return { repos, host, notify, drop, run, account };
}

test('a message the host keeps rejecting is quarantined after N tries, reported once, and the rest goes on', async () => {
  const w = await world('keep');
  w.drop.messages = [1, 2, 3].map((n) => ({ uidl: `u${n}`, raw: mail(n) }));
  w.host.reject = (message) => (message.raw.includes('message 2') ? new Error('rule says no') : null);
  expect(await w.run()).toMatchObject({ fetched: 2, failed: 1, quarantined: 0 });
  expect(await w.run()).toMatchObject({ fetched: 0, failed: 1, quarantined: 1 });
  expect(await w.run()).toMatchObject({ fetched: 0, failed: 0, quarantined: 0 });
  const rows = await w.repos.ledger.listDeliveries({ accountId: w.account.id, folder: '', uidValidity: '' });
  expect(rows.map((row) => [row.uidl, row.state])).toEqual([
    ['u1', 'post_action_done'],
    ['u2', 'quarantined'],
    ['u3', 'post_action_done'],
  ]);
  expect(w.notify.sent.filter((n) => n.key.includes(':quarantined:'))).toHaveLength(1);
  expect(w.drop.messages).toHaveLength(3);
});

test('a message gone at RETR is fetched the next time it is listed; a refused DELE and a failed QUIT are retried', async () => {
  const w = await world('delete');
  w.drop.messages = [1, 2].map((n) => ({ uidl: `u${n}`, raw: mail(n) }));
  w.drop.vanishOnce.add('u2');
  w.drop.refuseDelete = true;
  const first = await w.run();
  expect(first).toMatchObject({ fetched: 1 });
  expect(first.postActionError).toMatchObject({ code: 'ERR_MAIL_OPERATION_FAILED' });
  w.drop.refuseDelete = false;
  w.drop.quitFails = true;
  expect(await w.run()).toMatchObject({ fetched: 1, postActionError: null });
  expect(w.drop.messages).toHaveLength(2);
  w.drop.quitFails = false;
  expect(await w.run()).toMatchObject({ fetched: 0, duplicates: 0 });
  expect(w.drop.messages).toHaveLength(0);
  expect(w.host.tickets.size).toBe(2);
  // The rows of the deleted UIDLs go with the next listing that no longer has them.
  await w.run();
  expect(await w.repos.ledger.listDeliveries({ accountId: w.account.id, folder: '', uidValidity: '' })).toEqual([]);
});
