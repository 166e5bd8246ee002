/**
 * Builds the polling cycle from its ports in one place, so the composition root (plugin/main.ts) stays small
 * and the integration tests assemble exactly what production runs.
 */
import type { PluginConfig } from '../config';
import { newLeaseOwnerId } from '../lease-owner';
import type { AccessTokenProvider } from '../oauth/access-token-provider';
import type { AppIncidents } from '../oauth/app-incidents';
import type { AccountRepository } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { EventLog } from '../ports/event-log';
import type { LoggerPort, MailPort, NotifyPort, ScheduledTask } from '../ports/host';
import type { MailFetcher } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import type { MailLedger } from '../ports/mail-ledger';
import { AccountPoller } from './account-poller';
import { FetchCycle } from './fetch-cycle';
import type { FetchSettings } from './fetch-settings';
import { createFetchTask, FETCH_TASK_INTERVAL_MS } from './fetch-task';
import type { AccountPollResult } from './account-poll-result';
import { toPluginError } from '../errors';
import { FolderSync } from './folder-sync';
import { Pop3Sync } from './pop3-sync';
import { visibleNotifications } from '../visible-notifications';

/** What the polling cycle is built from. */
export interface FetchServicesDeps {
  readonly accounts: AccountRepository;
  readonly events: EventLog;
  readonly ledger: MailLedger;
  readonly tokens: AccessTokenProvider;
  /** The OAuth core's app incidents (oauth.appIncidents). */
  readonly appIncidents: Pick<AppIncidents, 'failed' | 'isOpen'>;
  readonly fetcher: MailFetcher;
  /** The POP3 client, for accounts with protocol `pop3`. */
  readonly pop3Fetcher?: Pop3Fetcher;
  readonly mail: Pick<MailPort, 'ingest' | 'ingestMany'>;
  readonly notify: NotifyPort;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly config: Pick<PluginConfig, 'fetch'>;
  /** Extra trusted CA (PEM) for the mail servers. */
  readonly caCertPem?: string | null;
  /** This process's account-lease owner id; default {@link newLeaseOwnerId}. */
  readonly ownerId?: string;
  /** Runs at the start of every scheduled cycle (the token keep-alive). */
  readonly beforeCycle?: (signal: AbortSignal) => Promise<void>;
  /** Told every account poll's result and duration (the metrics). */
  readonly observe?: (result: AccountPollResult, durationMs: number) => void;
  /** Runs when the scheduler starts a run of the fetch task (the heartbeat); its failure is logged, the run goes on. */
  readonly onScheduledRun?: (intervalMs: number) => Promise<void>;
}

/** The polling cycle and its scheduled task. */
export interface FetchServices {
  readonly settings: FetchSettings;
  readonly cycle: FetchCycle;
  readonly task: ScheduledTask;
}

/**
 * Wires the polling cycle.
 * @param deps - repositories, ledger, token provider, mail fetcher, host services, config
 * @example
 * const polling = createFetchServices({ accounts, events, ledger, tokens: oauth.tokenService, appIncidents: oauth.appIncidents, fetcher, mail: host.mail, notify: host.notify, logger, clock: systemClock, config });
 * host.scheduler.schedule(polling.task);
 */
export function createFetchServices(deps: FetchServicesDeps): FetchServices {
  const { clock } = deps;
  const logger = deps.logger.child({ component: 'fetch' });
  const notify = visibleNotifications(deps.notify);
  const settings: FetchSettings = { ...deps.config.fetch, caCertPem: deps.caCertPem ?? null };
  const syncDeps = { ledger: deps.ledger, mail: deps.mail, notify, events: deps.events, logger, clock, settings };
  const folderSync = new FolderSync(syncDeps);
  const poller = new AccountPoller({
    accounts: deps.accounts,
    tokens: deps.tokens,
    appIncidents: deps.appIncidents,
    fetcher: deps.fetcher,
    folderSync,
    ...(deps.pop3Fetcher ? { pop3: { fetcher: deps.pop3Fetcher, sync: new Pop3Sync(syncDeps) } } : {}),
    notify,
    events: deps.events,
    logger,
    clock,
    settings,
  });
  const cycle = new FetchCycle({
    accounts: deps.accounts,
    poller,
    logger,
    clock,
    settings,
    ownerId: deps.ownerId ?? newLeaseOwnerId(),
    ...(deps.beforeCycle ? { beforeCycle: deps.beforeCycle } : {}),
    ...(deps.observe ? { observe: deps.observe } : {}),
  });
  const onScheduledRun = deps.onScheduledRun;
  const onRun = onScheduledRun
    ? (intervalMs: number) =>
        onScheduledRun(intervalMs).catch((error: unknown) => {
          logger.warn('heartbeat not recorded', { code: toPluginError(error).code });
        })
    : undefined;
  return { settings, cycle, task: createFetchTask(cycle, FETCH_TASK_INTERVAL_MS, onRun) };
}
