/** Assembles the polling cycle over the in-memory fakes. */
import { AccountPoller } from '../../../plugin/fetch/account-poller';
import { FetchCycle } from '../../../plugin/fetch/fetch-cycle';
import type { FetchSettings } from '../../../plugin/fetch/fetch-settings';
import { FolderSync } from '../../../plugin/fetch/folder-sync';
import type { MailAccount, MailAccountInput } from '../../../plugin/ports/account-repository';
import {
  FakeAccounts,
  FakeEvents,
  FakeHostMail,
  FakeMailServer,
  FakeNotify,
  FakeTokens,
  ManualClock,
  MemoryLogger,
  MemoryMailLedger,
} from './fakes';

/** Everything a unit test needs, wired. */
export interface Harness {
  clock: ManualClock;
  server: FakeMailServer;
  tokens: FakeTokens;
  host: FakeHostMail;
  notify: FakeNotify;
  events: FakeEvents;
  accounts: FakeAccounts;
  ledger: MemoryMailLedger;
  logger: MemoryLogger;
  settings: FetchSettings;
  cycle: FetchCycle;
  addAccount(input?: Partial<MailAccountInput>): Promise<MailAccount>;
  /** Runs one cycle for every account due now (the clock moves past every interval first). */
  poll(accountId?: string): ReturnType<FetchCycle['run']>;
}

/** Builds a harness; `settings` override the defaults. */
export function harness(settings: Partial<FetchSettings> = {}): Harness {
  const clock = new ManualClock();
  const server = new FakeMailServer();
  const tokens = new FakeTokens(server);
  const host = new FakeHostMail();
  const notify = new FakeNotify();
  const events = new FakeEvents();
  const accounts = new FakeAccounts(clock);
  const ledger = new MemoryMailLedger(clock);
  const logger = new MemoryLogger();
  const fullSettings: FetchSettings = {
    batchSize: 3,
    maxMessageBytes: 10_000,
    concurrency: 2,
    accountTimeoutSeconds: 30,
    quarantineAfter: 3,
    ...settings,
  };
  const folderSync = new FolderSync({ ledger, mail: host, notify, events, logger, clock, settings: fullSettings });
  const poller = new AccountPoller({
    accounts,
    tokens,
    fetcher: server,
    folderSync,
    notify,
    events,
    logger,
    clock,
    settings: fullSettings,
    random: () => 0.5,
  });
  const cycle = new FetchCycle({ accounts, poller, logger, clock, settings: fullSettings, ownerId: 'test-process' });
  let n = 0;
  return {
    clock,
    server,
    tokens,
    host,
    notify,
    events,
    accounts,
    ledger,
    logger,
    settings: fullSettings,
    cycle,
    async addAccount(input = {}) {
      n += 1;
      const mailbox = input.mailbox ?? `user${n}@example.test`;
      const account = await accounts.create({
        appId: '1',
        mailbox,
        host: 'imap.example.test',
        port: 993,
        tls: 'implicit',
        ...input,
      });
      server.folder(mailbox, account.folder);
      return account;
    },
    async poll(accountId) {
      clock.advance(24 * 3600_000);
      return cycle.run({ signal: new AbortController().signal, ...(accountId ? { accountId } : {}) });
    },
  };
}
