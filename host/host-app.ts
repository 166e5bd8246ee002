/**
 * The reference host, assembled: database (+ host migrations), secrets, stores, scheduler, plugin
 * manager and, when serving, the web server. The console (`cli/`) and the tests drive it.
 */
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createKnex } from './create-knex';
import { prepareSqliteFile } from './database-files';
import { scrubMessage } from '../lib/loggable-error';
import { ensureFirstAdmin, type FirstAdminOutcome } from './auth/first-admin';
import { SessionStore } from './auth/session-store';
import { SignInThrottle } from './auth/sign-in-throttle';
import { UserStore } from './auth/user-store';
import { ContributionRegistry } from './contribution-registry';
import { migrateHost } from './host-migrations';
import { createLogger, toLoggerPort } from './logger';
import { NotificationCenter } from './notifications';
import { OutboxStore } from './outbox/outbox-store';
import { OutboxWorker, type OutboxWorkerOptions } from './outbox/outbox-worker';
import { SendService } from './outbox/send-service';
import { PluginManager, type ActivationReport, type InstalledPlugin } from './plugin-manager';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { AesGcmSecrets, loadSecretKeys } from './secrets';
import { HostSettings } from './host-settings';
import { TicketStore } from './ticket-store';
import { buildWebServer } from './web/server';

/** Options of {@link HostApp.open}. */
export interface HostAppOptions {
  /** SQLite file path, `postgres://…` or `mysql://…` (see createKnex). */
  readonly db: string;
  /** Environment (secret keys, first admin); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Structured logger; default pino to stdout. */
  readonly logger?: Logger;
  /** A block of lines for the operator's console (never logged), written at once; default `console.error`. */
  readonly announce?: (block: string) => void;
  /** One warning line for the operator's console (it is logged too); default stderr. */
  readonly warn?: (line: string) => void;
  /** Key file used when the environment has no secret key; default next to the SQLite file, else ./data/secret.key. */
  readonly secretKeyFile?: string;
  /** Public base URL (e.g. https://helpdesk.example.com); default OAUTH2_MAIL_BASE_URL, else the listen address. */
  readonly publicBaseUrl?: string;
  readonly scheduler?: SchedulerOptions;
  /** Clock of sign-in (users, sessions, throttling), epoch ms; default Date.now. Tests move it instead of waiting. */
  readonly clock?: () => number;
  /** Lease, retry and timing of the outbox worker (defaults: docs/architecture.md#outbox). */
  readonly outbox?: OutboxWorkerOptions;
}

/** Where the web server listens. */
export interface ListenOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
}

/** The SQLite file of a connection string, or undefined for a server URL or `:memory:`. */
export function sqliteFileOf(db: string): string | undefined {
  const trimmed = db.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1) return trimmed === ':memory:' ? undefined : trimmed;
  if (scheme === 'sqlite' || scheme === 'sqlite3') {
    const file = trimmed.replace(/^sqlite3?:(\/\/)?/i, '');
    return file === ':memory:' ? undefined : file;
  }
  return undefined;
}

/** The services {@link HostApp} is made of (its own fields, so the two lists cannot drift apart). */
type HostParts = Pick<
  HostApp,
  | 'knex'
  | 'logger'
  | 'users'
  | 'sessions'
  | 'signInThrottle'
  | 'tickets'
  | 'notifications'
  | 'secrets'
  | 'scheduler'
  | 'registry'
  | 'outbox'
  | 'outboxWorker'
  | 'sending'
  | 'settings'
>;

/** Where {@link HostApp.publicBaseUrl} comes from. */
export type PublicBaseUrlSource = 'configured' | 'listening' | 'stored' | 'default';

/** The base URL used when nothing else is known (no option, no environment, nothing stored, not listening). */
export const DEFAULT_PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

/** The running (or, for console commands, merely opened) host. */
export class HostApp {
  readonly knex: Knex;
  readonly logger: Logger;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly signInThrottle: SignInThrottle;
  readonly tickets: TicketStore;
  readonly notifications: NotificationCenter;
  readonly secrets: AesGcmSecrets;
  readonly scheduler: Scheduler;
  readonly registry: ContributionRegistry;
  /** The durable outbox (`host_outbox`). */
  readonly outbox: OutboxStore;
  /** Sends what the outbox holds; the host's own scheduled task. */
  readonly outboxWorker: OutboxWorker;
  /** Replies and direct sends through the outbox. */
  readonly sending: SendService;
  /** `host_settings`: the stored public base URL, the monitoring token's hash. */
  readonly settings: HostSettings;
  readonly plugins: PluginManager;
  private server: FastifyInstance | undefined;
  private baseUrl: string | undefined;
  private storedBaseUrl: string | null = null;
  private stopped = false;

  private constructor(
    parts: HostParts,
    private readonly options: HostAppOptions,
  ) {
    ({
      knex: this.knex,
      logger: this.logger,
      users: this.users,
      sessions: this.sessions,
      signInThrottle: this.signInThrottle,
      tickets: this.tickets,
      notifications: this.notifications,
    } = parts);
    ({ secrets: this.secrets, scheduler: this.scheduler, registry: this.registry } = parts);
    ({ outbox: this.outbox, outboxWorker: this.outboxWorker, sending: this.sending, settings: this.settings } = parts);
    this.plugins = new PluginManager(
      this.knex,
      { ...parts, publicBaseUrl: () => this.publicBaseUrl() },
      toLoggerPort(this.logger.child({ component: 'plugins' })),
    );
  }

  /**
   * Connects to the database, applies the host migrations and builds every service; nothing listens yet.
   * @param options - database, environment, logger
   */
  static async open(options: HostAppOptions): Promise<HostApp> {
    const env = options.env ?? process.env;
    const logger = options.logger ?? createLogger({ level: env.OAUTH2_MAIL_LOG_LEVEL });
    const port = toLoggerPort(logger);
    const sqliteFile = sqliteFileOf(options.db);
    const warn = options.warn ?? ((line: string) => process.stderr.write(`warning: ${line}\n`));
    for (const open of sqliteFile ? prepareSqliteFile(sqliteFile) : []) {
      logger.warn({ path: open.path, mode: open.mode }, `database ${open.kind} readable by other users`);
      warn(`${open.path} is readable by other users (mode ${open.mode}): run ${open.fix}`);
    }
    const keyFile =
      options.secretKeyFile ??
      (sqliteFile ? join(dirname(resolve(sqliteFile)), 'secret.key') : resolve('data', 'secret.key'));
    const secrets = new AesGcmSecrets(loadSecretKeys({ env, keyFile, logger: port }));
    const knex = createKnex(options.db);
    try {
      await migrateHost(knex);
    } catch (error) {
      await knex.destroy();
      throw error;
    }
    const clock = options.clock ?? Date.now;
    const users = new UserStore(knex, clock);
    const sessions = new SessionStore(knex, users, clock);
    const signInThrottle = new SignInThrottle(knex, clock);
    const tickets = new TicketStore(knex);
    const notifications = new NotificationCenter(knex, port.child({ component: 'notifications' }));
    const scheduler = new Scheduler(port.child({ component: 'scheduler' }), options.scheduler);
    const registry = new ContributionRegistry();
    const outbox = new OutboxStore(knex);
    const outboxLogger = port.child({ component: 'outbox' });
    const outboxWorker = new OutboxWorker(outbox, registry, outboxLogger, options.outbox);
    // The host's own task, not a plugin's: it runs once the scheduler is started (`start`), never in a console command.
    scheduler.schedule(outboxWorker.task(), 'host');
    const sending = new SendService({ tickets, outbox, worker: outboxWorker, registry, logger: outboxLogger });
    const settings = new HostSettings(knex, clock);
    const storedBaseUrl = await settings.publicBaseUrl();
    const host = new HostApp(
      {
        knex,
        logger,
        users,
        sessions,
        signInThrottle,
        tickets,
        notifications,
        secrets,
        scheduler,
        registry,
        outbox,
        outboxWorker,
        sending,
        settings,
      },
      options,
    );
    host.storedBaseUrl = storedBaseUrl;
    return host;
  }

  /**
   * The public base URL without a trailing slash: `--base-url` / OAUTH2_MAIL_BASE_URL, else the address this process
   * listens on (`start`), else the one the running helpdesk stored (console commands), else the default.
   */
  publicBaseUrl(): string {
    const configured = this.publicBaseUrlConfigured();
    return (configured ?? this.baseUrl ?? this.storedBaseUrl ?? DEFAULT_PUBLIC_BASE_URL).replace(/\/+$/, '');
  }

  /** Where {@link publicBaseUrl} comes from: a console says so when it is only the default. */
  publicBaseUrlSource(): PublicBaseUrlSource {
    if (this.publicBaseUrlConfigured()) return 'configured';
    if (this.baseUrl) return 'listening';
    return this.storedBaseUrl ? 'stored' : 'default';
  }

  /** Stores the current public base URL, so console commands build the URLs of this running helpdesk (`start`). */
  async rememberPublicBaseUrl(): Promise<void> {
    const url = this.publicBaseUrl();
    await this.settings.storePublicBaseUrl(url);
    this.storedBaseUrl = url;
  }

  /**
   * Makes sure an admin can sign in (see ensureFirstAdmin).
   */
  async ensureFirstAdmin(): Promise<FirstAdminOutcome> {
    return ensureFirstAdmin(
      this.users,
      this.options.env ?? process.env,
      this.options.announce ?? ((block) => console.error(block)),
      `${this.publicBaseUrl()}/login`,
    );
  }

  /**
   * Starts the web server.
   * @returns the URL it listens on
   */
  async listen(options: ListenOptions): Promise<string> {
    const secureCookies = this.publicBaseUrlConfigured()?.startsWith('https:') ?? false;
    this.server = await buildWebServer({
      users: this.users,
      sessions: this.sessions,
      signInThrottle: this.signInThrottle,
      tickets: this.tickets,
      notifications: this.notifications,
      registry: this.registry,
      outbox: this.outbox,
      sending: this.sending,
      plugins: this.plugins,
      logger: this.logger.child({ component: 'web' }),
      secureCookies,
      publicBaseUrl: () => this.publicBaseUrl(),
      isMonitoringToken: (token) => this.settings.isMonitoringToken(token),
      databaseAnswers: () => this.databaseAnswers(),
    });
    await this.server.listen({ port: options.port, host: options.host });
    const address = this.server.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    this.baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    return this.baseUrl;
  }

  /** True when the database answers a trivial query within a few seconds. */
  async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 5_000);
    });
    try {
      return await Promise.race([this.knex.raw('select 1').then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Activates the installed plugins. */
  async activatePlugins(): Promise<ActivationReport[]> {
    return this.plugins.activateInstalled();
  }

  /**
   * Installs the plugin in `directory` unless a plugin with its id is installed already.
   * @returns the installed plugin, or the problems when it could not be installed
   */
  async ensureInstalled(
    directory: string,
  ): Promise<{ readonly installed?: InstalledPlugin; readonly problems: readonly string[] }> {
    const inspected = this.plugins.inspect(directory);
    const id = inspected.manifest?.id;
    const existing = id ? (await this.plugins.list()).find((p) => p.id === id) : undefined;
    if (existing) return { installed: existing, problems: [] };
    try {
      return { installed: await this.plugins.install(directory), problems: [] };
    } catch (error) {
      const details = (error as { details?: { problems?: unknown } }).details;
      const problems = Array.isArray(details?.problems)
        ? (details.problems as string[])
        : [error instanceof Error ? error.message : String(error)];
      this.logger.error({ directory, problems: problems.map(scrubMessage) }, 'bundled plugin not installed');
      return { problems };
    }
  }

  /** Starts the scheduled tasks. */
  startScheduler(): void {
    this.scheduler.start();
  }

  /**
   * Stops everything: web server, the outbox worker (it claims nothing more; attempts in flight get a grace to
   * finish while their transports are still there), scheduler (aborting runs), plugins (shutdown hooks, deactivate),
   * database.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.server?.close();
    // First: a drain started by a kick does not see the scheduler's abort, only the worker's own stop.
    await this.outboxWorker.stop();
    await this.scheduler.stop();
    await this.plugins.deactivateAll();
    await this.knex.destroy();
    this.logger.info('host stopped');
  }

  private publicBaseUrlConfigured(): string | undefined {
    return this.options.publicBaseUrl ?? (this.options.env ?? process.env).OAUTH2_MAIL_BASE_URL;
  }
}
