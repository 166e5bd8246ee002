/** Assembles the polling cycle over the in-memory fakes. */
import { AccountPoller } from '../../../plugin/fetch/account-poller';
import { FetchCycle, type FetchCycleDeps } from '../../../plugin/fetch/fetch-cycle';
import type { FetchSettings } from '../../../plugin/fetch/fetch-settings';
import { FolderSync } from '../../../plugin/fetch/folder-sync';
import { AccountIncidents } from '../../../plugin/oauth/account-incidents';
import { AppIncidents } from '../../../plugin/oauth/app-incidents';
import type { MailAccount, MailAccountInput } from '../../../plugin/ports/account-repository';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeHostMail } from '../../helpers/fakes/fake-host-mail';
import { FakeMailServer, type FakeMailServerOptions } from '../../helpers/fakes/fake-mail-server';
import { FakeTokens } from '../../helpers/fakes/fake-tokens';
import { ManualClock } from '../../helpers/manual-clock';
import {
  createMemoryRepositories,
  type MemoryAccountRepository,
  type MemoryEventLog,
  type MemoryMailLedger,
} from '../../helpers/memory';
import { MemoryNotify } from '../../helpers/memory-notify';

/** Everything a unit test needs, wired. */
export interface Harness {
  clock: ManualClock;
  server: FakeMailServer;
  tokens: FakeTokens;
  host: FakeHostMail;
  notify: MemoryNotify;
  events: MemoryEventLog;
  accounts: MemoryAccountRepository;
  ledger: MemoryMailLedger;
  logger: CapturingLogger;
  settings: FetchSettings;
  cycle: FetchCycle;
  /** Creates a connected account (first sync `all` unless given) of one app registration, and its INBOX. */
  addAccount(input?: Partial<MailAccountInput>): Promise<MailAccount>;
  /** Runs one cycle for every account due now (the clock moves past every interval first). */
  poll(accountId?: string): ReturnType<FetchCycle['run']>;
}

/** How the cycle treats account leases (defaults: production's). */
export type LeaseOptions = Pick<FetchCycleDeps, 'leaseTiming' | 'leaseOwnerIsGone'>;

/**
 * Builds a harness; `settings` override the defaults, `lease` the cycle's lease timing and liveness check, `server`
 * the fake server's options.
 */
export function harness(
  settings: Partial<FetchSettings> = {},
  lease: LeaseOptions = {},
  server: FakeMailServerOptions = {},
): Harness {
  const clock = new ManualClock();
  const mailServer = new FakeMailServer(server);
  const tokens = new FakeTokens(mailServer);
  const host = new FakeHostMail();
  const notify = new MemoryNotify();
  const { apps, accounts, events, ledger } = createMemoryRepositories(clock);
  const appIncidents = new AppIncidents({
    apps,
    accounts,
    accountIncidents: new AccountIncidents({ accounts, events, notify, clock, logger: new CapturingLogger() }),
    notify,
    clock,
    logger: new CapturingLogger(),
  });
  const logger = new CapturingLogger();
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
    appIncidents,
    fetcher: mailServer,
    folderSync,
    notify,
    events,
    logger,
    clock,
    settings: fullSettings,
    random: () => 0.5,
  });
  const cycle = new FetchCycle({
    accounts,
    poller,
    logger,
    clock,
    settings: fullSettings,
    ownerId: 'test-process',
    ...lease,
  });
  let appId: Promise<string> | undefined;
  let n = 0;
  return {
    clock,
    server: mailServer,
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
      appId ??= apps
        .create({ name: 'Mail', provider: 'generic', clientId: 'client', clientSecret: 'secret' })
        .then((app) => app.id);
      n += 1;
      const mailbox = input.mailbox ?? `user${n}@example.test`;
      const created = await accounts.create({
        appId: await appId,
        mailbox,
        host: 'imap.example.test',
        port: 993,
        tls: 'implicit',
        initialSync: 'all',
        ...input,
      });
      const account = await accounts.setStatus(created.id, { status: 'connected', authorizedIdentity: mailbox });
      mailServer.folder(mailbox, account.folder);
      return account;
    },
    async poll(accountId) {
      clock.advance(24 * 3600_000);
      return cycle.run({ signal: new AbortController().signal, ...(accountId ? { accountId } : {}) });
    },
  };
}

/** A small RFC 5322 message with a unique Message-ID. */
export function mail(n: number, extra = ''): Buffer {
  return Buffer.from(
    `Message-ID: <m${n}@example.test>\r\nDate: Thu, 1 Jan 2026 00:00:${String(n % 60).padStart(2, '0')} +0000\r\nFrom: a@example.test\r\nTo: b@example.test\r\nSubject: message ${n}\r\n\r\nBody ${n}${extra}\r\n`,
  );
}
