/**
 * Composition root: the ONE file in plugin/ that imports adapters/. `activate` builds the services
 * (`buildServices`) and registers every entry of `contributions`; `deactivate` disposes them in
 * reverse order. To wire a feature, add a service to {@link PluginServices} and a contribution to
 * the list: each contribution registers one thing and returns its Disposable.
 */
import { ImapFlowMailFetcher } from '../adapters/imapflow/imapflow-mail-fetcher';
import { Pop3MailFetcher } from '../adapters/pop3/pop3-mail-fetcher';
import { KnexMailLedger } from '../adapters/knex/knex-mail-ledger';
import { createKnexRepositories, type KnexRepositories } from '../adapters/knex/knex-repositories';
import { migrateLatest } from '../adapters/knex/migration-source';
import { SimpleOAuth2Client } from '../adapters/simple-oauth2/simple-oauth2-client';
import { NodemailerMailSender } from '../adapters/smtp/nodemailer-mail-sender';
import { KnexHeartbeats } from '../adapters/knex/knex-heartbeats';
import { PromClientMetrics } from '../adapters/prometheus/prom-client-metrics';
import type { AccountPollResult } from './fetch/account-poll-result';
import { FETCH_TASK_ID } from './fetch/fetch-settings';
import { newLeaseOwnerId } from './lease-owner';
import { HealthCheck } from './monitoring/health-check';
import { meteredOAuthClient } from './monitoring/metered-oauth-client';
import { monitoringRoutes } from './monitoring/monitoring-routes';
import { mailLoginRefusalCause } from './oauth/scopes';
import type { MetricsPort } from './ports/metrics';
import { jsonApiRoutes } from './accounts/json-api';
import { ROUTE_PATHS } from './admin/admin-paths';
import { adminRoutes } from './admin/admin-routes';
import { ConnectionTester } from './admin/connection-test';
import { FolderLister } from './admin/folder-list';
import { parseConfig, type PluginConfig } from './config';
import { loggableError } from '../lib/loggable-error';
import { PluginError } from './errors';
import { createFetchServices, type FetchServices } from './fetch/fetch-services';
import { callbackRoute } from './oauth/callback-route';
import { createOAuthServices, type OAuthServices } from './oauth/oauth-services';
import { systemClock } from './ports/clock';
import type { Disposable, HostPort, LoggerPort, RouteDefinition } from './ports/host';
import type { MailFetcher } from './ports/mail-fetcher';
import type { Pop3Fetcher } from './ports/pop3-mailbox';
import type { MailLedger } from './ports/mail-ledger';
import { SendService } from './send/send-service';
import { smtpTransport } from './send/smtp-transport';

/** Everything the contributions are built from. */
export interface PluginServices {
  readonly host: HostPort;
  readonly config: PluginConfig;
  readonly logger: LoggerPort;
  readonly repositories: KnexRepositories;
  /** Cursors and deliveries: what the polling cycle has fetched. */
  readonly ledger: MailLedger;
  /** The OAuth core: token service (the poll cycle's AccessTokenProvider), Connect, keep-alive, app and account services. */
  readonly oauth: OAuthServices;
  /** The polling cycle and its scheduled task. */
  readonly polling: FetchServices;
  /** IMAP sessions (the poll cycle's, the Connect proof's and the admin screen's connection test). */
  readonly mailFetcher: MailFetcher;
  readonly pop3Fetcher: Pop3Fetcher;
  /** Replies through the accounts with sending on (the host's mail transport, Test connection's SMTP step). */
  readonly sending: SendService;
  /** Test connection, step by step (the screen and `oauth2-mail account test`). */
  readonly tester: ConnectionTester;
  /** Counters and gauges of `GET /metrics` (this plugin instance's own registry). */
  readonly metrics: MetricsPort;
  /** The answer of `GET /health`. */
  readonly health: HealthCheck;
}

/** What one account poll adds to the metrics. */
function recordPoll(metrics: MetricsPort, result: AccountPollResult, durationMs: number): void {
  if (result.outcome === 'busy' || result.outcome === 'aborted') return;
  metrics.pollDuration(result.accountId, durationMs / 1000);
  metrics.messages(result.accountId, 'ingested', result.fetched);
  metrics.messages(result.accountId, 'duplicate', result.duplicates);
  metrics.messages(result.accountId, 'skipped', result.skipped);
  metrics.messages(result.accountId, 'quarantined', result.quarantined);
  if (result.outcome === 'failed') metrics.pollFailed(result.accountId, result.error?.code ?? 'ERR_INTERNAL');
}

/** Registers one thing with the host; returns what takes it back. */
export type Contribution = (services: PluginServices) => Disposable | Promise<Disposable>;

/**
 * The one place the plugin is wired: parses the config, runs the plugin migrations (unless the host runs them) and
 * builds every service from the host object alone. The tests and the bench build the plugin through it too
 * (test/helpers/test-plugin-host.ts gives them a scoped host), so they run the wiring production runs.
 * @param host - the scoped host object: config, database, secrets, logger, mail pipeline, notifications, and
 *   `routes.publicUrl` for the OAuth redirect URI
 */
export async function buildServices(host: HostPort): Promise<PluginServices> {
  const config = parseConfig(host.config);
  const logger = host.logger;
  const knex = host.database.getClient();
  if (!host.database.migrationsRunByHost) {
    const applied = await migrateLatest(knex);
    if (applied.length > 0) logger.info('plugin migrations applied', { migrations: applied });
  }
  const repositories = createKnexRepositories({ knex, secrets: host.secrets });
  const ledger = new KnexMailLedger({ knex });
  const metrics = new PromClientMetrics();
  const heartbeats = new KnexHeartbeats(knex);
  const ownerId = newLeaseOwnerId();
  const mailFetcher = new ImapFlowMailFetcher({
    logger: logger.child({ component: 'imap' }),
    allowInsecureLoopback: config.allowInsecureLoopback,
    allowPrivateNetworks: config.allowPrivateNetworks,
  });
  const pop3Fetcher = new Pop3MailFetcher({
    allowInsecureLoopback: config.allowInsecureLoopback,
    allowPrivateNetworks: config.allowPrivateNetworks,
  });
  const oauth = createOAuthServices({
    repositories,
    notify: host.notify,
    logger,
    clock: systemClock,
    oauthClient: meteredOAuthClient(
      new SimpleOAuth2Client({
        timeoutMs: config.token.httpTimeoutSeconds * 1000,
        caCertPem: config.token.caCertPem ?? null,
        allowPrivateNetworks: config.allowPrivateNetworks,
      }),
      metrics,
    ),
    mailFetcher,
    pop3Fetcher,
    redirectUri: () => host.routes.publicUrl(ROUTE_PATHS.callback),
    config,
    mailCaCertPem: config.fetch.caCertPem ?? null,
  });
  const hostMail = host.mail;
  const batchIngest = hostMail.ingestMany
    ? (messages: Parameters<NonNullable<typeof hostMail.ingestMany>>[0]) => hostMail.ingestMany!(messages)
    : null;
  const polling = createFetchServices({
    accounts: repositories.accounts,
    events: repositories.events,
    ledger,
    tokens: oauth.tokenService,
    appIncidents: oauth.appIncidents,
    fetcher: mailFetcher,
    pop3Fetcher,
    mail: {
      ingest: (message) => host.mail.ingest(message),
      // A host of API 1.1 has no batch ingest: the fetch then hands messages over one at a time.
      ...(batchIngest ? { ingestMany: batchIngest } : {}),
    },
    notify: host.notify,
    logger,
    clock: systemClock,
    config,
    beforeCycle: async (signal) => {
      await oauth.keepAlive.run(signal);
    },
    caCertPem: config.fetch.caCertPem ?? null,
    ownerId,
    observe: (result, durationMs) => recordPoll(metrics, result, durationMs),
    onScheduledRun: (intervalMs) =>
      heartbeats.beat({ taskId: FETCH_TASK_ID, ranAt: systemClock.now(), intervalMs, owner: ownerId }),
  });
  const sending = new SendService({
    accounts: repositories.accounts,
    tokens: oauth.tokenService,
    sender: new NodemailerMailSender({
      allowInsecureLoopback: config.allowInsecureLoopback,
      allowPrivateNetworks: config.allowPrivateNetworks,
    }),
    events: repositories.events,
    notify: host.notify,
    clock: systemClock,
    logger: logger.child({ component: 'smtp' }),
    caCertPem: config.fetch.caCertPem ?? null,
    timeoutMs: config.send.timeoutSeconds * 1000,
  });
  const tester = new ConnectionTester({
    tokens: oauth.tokenService,
    mailFetcher,
    pop3Fetcher,
    clock: systemClock,
    caCertPem: polling.settings.caCertPem ?? null,
    smtp: sending,
    discover: async (account) => {
      const { endpoints } = await oauth.endpoints.resolve(await oauth.apps.get(account.appId));
      return `Token endpoint ${endpoints.tokenUrl}, authorization endpoint ${endpoints.authorizeUrl}.`;
    },
    loginRefusalCause: async (account) =>
      mailLoginRefusalCause(
        await oauth.apps.get(account.appId),
        (await repositories.tokens.find(account.id))?.scope ?? null,
      ),
  });
  const health = new HealthCheck({
    accounts: repositories.accounts,
    heartbeats,
    clock: systemClock,
    taskId: FETCH_TASK_ID,
  });
  return {
    host,
    config,
    logger,
    repositories,
    ledger,
    oauth,
    polling,
    mailFetcher,
    pop3Fetcher,
    sending,
    tester,
    metrics,
    health,
  };
}

/** Registers several routes as one contribution; disposing takes them back in reverse order. */
function registerRoutes(host: HostPort, routes: readonly RouteDefinition[]): Disposable {
  const registered = routes.map((route) => host.routes.register(route));
  return {
    dispose: async () => {
      for (const disposable of registered.reverse()) await disposable.dispose();
    },
  };
}

/** The admin menu entry. */
const accountsScreen: Contribution = ({ host }) =>
  host.admin.registerScreen({
    id: 'oauth2-mail.accounts',
    title: 'Mail accounts (OAuth2)',
    path: ROUTE_PATHS.accounts,
  });

/** The admin screen (plugin/admin): app registrations and mail accounts, their pages and actions. */
const adminScreen: Contribution = ({ host, oauth, polling, mailFetcher, tester, repositories, logger }) => {
  const folders = new FolderLister({
    tokens: oauth.tokenService,
    mailFetcher,
    caCertPem: polling.settings.caCertPem ?? null,
  });
  const routes = adminRoutes({
    apps: oauth.apps,
    accounts: oauth.accounts,
    events: repositories.events,
    tester,
    folders,
    fetchNow: async (accountId) => {
      const [result] = await polling.cycle.run({ signal: new AbortController().signal, accountId });
      if (!result) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
      return result;
    },
    publicUrl: (path) => host.routes.publicUrl(path),
    clock: systemClock,
    logger,
  });
  return registerRoutes(host, routes);
};

/** GET /callback: where the provider sends the admin back (Connect, plugin/oauth). */
const callbackPage: Contribution = ({ host, oauth, logger }) =>
  host.routes.register(callbackRoute(oauth.authorization, () => host.routes.publicUrl(ROUTE_PATHS.accounts), logger));

/** The JSON API for app registrations and mail accounts (the console drives it in process). */
const jsonApi: Contribution = ({ host, oauth, tester, repositories }) =>
  registerRoutes(
    host,
    jsonApiRoutes({
      apps: oauth.apps,
      accounts: oauth.accounts,
      clock: systemClock,
      tester,
      events: repositories.events,
      redirectUri: () => host.routes.publicUrl(ROUTE_PATHS.callback),
    }),
  );

/** GET /health and GET /metrics for monitoring (an admin session or the monitoring token). */
const monitoring: Contribution = ({ host, health, metrics, repositories }) =>
  registerRoutes(host, monitoringRoutes({ health, metrics, accounts: repositories.accounts, clock: systemClock }));

/** The polling cycle (due accounts every few seconds; `runOnce` for the console's `poll --once`). */
const fetchTask: Contribution = ({ host, polling }) => host.scheduler.schedule(polling.task);

/** The way out for replies: the host sends through the accounts with sending on. */
const mailTransport: Contribution = ({ host, sending }) => host.mail.registerTransport(smtpTransport(sending));

/** Device sign-ins poll in the background until they end: deactivating the plugin stops them. */
const deviceSignInPolling: Contribution = ({ oauth }) => ({ dispose: () => oauth.deviceSignIns.cancelAll() });

/** What `activate` registers, in order. */
export const contributions: readonly Contribution[] = [
  accountsScreen,
  adminScreen,
  callbackPage,
  jsonApi,
  monitoring,
  fetchTask,
  mailTransport,
  deviceSignInPolling,
];

let active: { readonly services: PluginServices; readonly disposables: Disposable[] } | undefined;

async function disposeAll(disposables: readonly Disposable[], logger: LoggerPort): Promise<void> {
  for (const disposable of [...disposables].reverse()) {
    try {
      await disposable.dispose();
    } catch (error) {
      logger.error('dispose failed', { error: loggableError(error) });
    }
  }
}

/**
 * Called once by the host: builds the services and registers every contribution. When one fails,
 * those already registered are taken back and the error is thrown to the host.
 * @param host - the scoped host object
 */
export async function activate(host: HostPort): Promise<void> {
  if (active) throw new PluginError('ERR_CONFLICT', 'oauth2-mail is already active; deactivate it first');
  const services = await buildServices(host);
  const disposables: Disposable[] = [];
  try {
    for (const contribution of contributions) disposables.push(await contribution(services));
  } catch (error) {
    await disposeAll(disposables, services.logger);
    throw error;
  }
  active = { services, disposables };
  services.logger.info('oauth2-mail activated');
}

/** Called on disable or shutdown: disposes every registration. */
export async function deactivate(): Promise<void> {
  const current = active;
  active = undefined;
  if (current) await disposeAll(current.disposables, current.services.logger);
}
