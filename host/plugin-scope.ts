/**
 * The {@link HostPort} one plugin receives: scoped to its id, its granted permissions and the
 * contributions its plugin.json declares. Every registration is tracked so deactivation (or a failed
 * activation) takes all of them back.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { isPluginError, PluginError } from '../plugin/index';
import type { InboundMessage, PluginManifest } from '../plugin/index';
import { HOST_API_VERSION, type Disposable, type HostPort, type LoggerPort, type SecretsPort } from '../plugin/index';
import type { ContributionRegistry } from './contribution-registry';
import { isDatabaseUnavailable } from './db-errors';
import { failureSummary, loggableError } from '../lib/loggable-error';
import { toLoggerPort } from './logger';
import type { NotificationCenter } from './notifications';
import type { Scheduler } from './scheduler';
import type { TicketStore } from './ticket-store';

/** The host services a plugin scope is cut from. */
export interface HostServices {
  readonly knex: Knex;
  readonly secrets: SecretsPort;
  readonly logger: Logger;
  readonly registry: ContributionRegistry;
  readonly scheduler: Scheduler;
  /** Where `mail.ingest` hands a message once the scope has checked it (the ticket store). */
  readonly tickets: Pick<TicketStore, 'ingest'> & Partial<Pick<TicketStore, 'ingestMany'>>;
  readonly notifications: NotificationCenter;
  /** The host's public base URL without a trailing slash (known once the server listens). */
  readonly publicBaseUrl: () => string;
}

/** One plugin's host object plus what the plugin manager needs to clean up after it. */
export interface PluginScope {
  readonly host: HostPort;
  /** Takes back every registration still live. */
  dispose(): Promise<void>;
  /** Runs the plugin's `lifecycle.onShutdown` hooks (once). */
  runShutdownHooks(): Promise<void>;
  /** Ids of the scheduled tasks currently registered. */
  scheduledTaskIds(): string[];
}

/** What the plugin is handed when the ticket pipeline fails: a PluginError whose words name the failure, not its data. */
function ingestFailure(error: unknown): PluginError {
  if (isPluginError(error)) return error;
  if (isDatabaseUnavailable(error))
    return new PluginError(
      'ERR_DATABASE_UNAVAILABLE',
      `The helpdesk's ticket store cannot be reached: ${failureSummary(error)}.`,
      {},
      { cause: error },
    );
  return new PluginError(
    'ERR_INGEST_REJECTED',
    `The helpdesk's ticket store refused the message: ${failureSummary(error)}.`,
    {},
    { cause: error },
  );
}

/**
 * Where a plugin's routes are mounted.
 * @param pluginId - the plugin id
 */
export function pluginMountPath(pluginId: string): string {
  return `/plugins/${pluginId}`;
}

/**
 * Where the host serves a plugin route path (a menu entry's or a notification's `path`): under the plugin's mount
 * point; a path already under it is kept.
 * @param pluginId - the plugin id
 * @param path - the plugin route path, e.g. `/accounts/7`
 * @returns the host path, or undefined when `path` is not a plugin route path (`//host`, a URL, a backslash, a control
 *   character)
 */
export function pluginPagePath(pluginId: string, path: string): string | undefined {
  if (!path.startsWith('/') || path.startsWith('//') || /[\\\p{Cc}]/u.test(path)) return undefined;
  const mount = pluginMountPath(pluginId);
  if (path === mount || path.startsWith(`${mount}/`) || path.startsWith(`${mount}?`)) return path;
  return `${mount}${path}`;
}

/**
 * Builds the scoped host object for one plugin.
 * @param services - the host's services
 * @param manifest - the validated plugin.json
 * @param granted - permissions the admin granted
 * @param config - the plugin's stored configuration
 */
export function createPluginScope(
  services: HostServices,
  manifest: PluginManifest,
  granted: ReadonlySet<string>,
  config: Readonly<Record<string, unknown>>,
): PluginScope {
  const pluginId = manifest.id;
  const logger: LoggerPort = toLoggerPort(services.logger.child({ plugin: pluginId }));
  const live = new Set<Disposable>();
  const tasks = new Map<Disposable, string>();
  const shutdownHooks: Array<() => void | Promise<void>> = [];
  let closed = false;
  let shutdownDone = false;

  const need = (permission: string, what: string): void => {
    if (!granted.has(permission)) {
      throw new PluginError(
        'ERR_PERMISSION_NOT_GRANTED',
        `${pluginId} used ${what} without the "${permission}" permission`,
        { plugin: pluginId, permission },
      );
    }
  };
  const undeclared = (kind: string, id: string, why: string): PluginError =>
    new PluginError('ERR_CONTRIBUTION_UNDECLARED', `${pluginId} registered ${kind} "${id}" ${why}`, {
      plugin: pluginId,
      kind,
      id,
    });
  const ingestMany = services.tickets.ingestMany?.bind(services.tickets);
  const declaredSource = (message: { readonly sourceId: string }): void => {
    if (!manifest.contributes.mailSources.some((s) => s.id === message.sourceId))
      throw undeclared(
        'mail source',
        message.sourceId,
        'which plugin.json does not declare in contributes.mailSources',
      );
  };
  const track = (inner: Disposable): Disposable => {
    if (closed) {
      void inner.dispose();
      throw new PluginError('ERR_CONFLICT', `${pluginId} is not active any more; registration refused`);
    }
    const outer: Disposable = {
      dispose: async () => {
        if (!live.delete(outer)) return;
        tasks.delete(outer);
        await inner.dispose();
      },
    };
    live.add(outer);
    return outer;
  };

  const host: HostPort = {
    apiVersion: HOST_API_VERSION,
    pluginId,
    logger,
    config: Object.freeze({ ...config }),
    database: {
      getClient: () => {
        need('database:own-tables', 'database.getClient()');
        return services.knex;
      },
      migrationsRunByHost: false,
    },
    secrets: {
      seal: async (plaintext) => {
        need('secrets:seal', 'secrets.seal()');
        return services.secrets.seal(plaintext);
      },
      open: async (sealed) => {
        need('secrets:seal', 'secrets.open()');
        return services.secrets.open(sealed);
      },
    },
    routes: {
      register: (route) => {
        need('http:routes', 'routes.register()');
        const declared = manifest.contributes.routes.find((r) => r.id === route.id);
        if (!declared) throw undeclared('route', route.id, 'which plugin.json does not declare in contributes.routes');
        if (declared.method !== route.method || declared.path !== route.path || declared.auth !== route.auth) {
          throw undeclared(
            'route',
            route.id,
            `as ${route.method} ${route.path} (auth ${route.auth}) ` +
              `but plugin.json declares ${declared.method} ${declared.path} (auth ${declared.auth})`,
          );
        }
        return track(services.registry.addRoute(pluginId, route));
      },
      publicUrl: (path) => {
        need('http:routes', 'routes.publicUrl()');
        return `${services.publicBaseUrl()}${pluginMountPath(pluginId)}${path.startsWith('/') ? path : `/${path}`}`;
      },
    },
    admin: {
      registerScreen: (screen) => {
        need('admin:screens', 'admin.registerScreen()');
        const declared = manifest.contributes.adminScreens.find((s) => s.id === screen.id);
        if (!declared)
          throw undeclared('admin screen', screen.id, 'which plugin.json does not declare in contributes.adminScreens');
        if (declared.path !== screen.path)
          throw undeclared(
            'admin screen',
            screen.id,
            `with path ${screen.path} but plugin.json declares ${declared.path}`,
          );
        return track(services.registry.addScreen(pluginId, screen));
      },
    },
    scheduler: {
      schedule: (task) => {
        need('scheduler:tasks', 'scheduler.schedule()');
        if (!manifest.contributes.scheduledTasks.some((t) => t.id === task.id))
          throw undeclared(
            'scheduled task',
            task.id,
            'which plugin.json does not declare in contributes.scheduledTasks',
          );
        if ([...tasks.values()].includes(task.id))
          throw new PluginError('ERR_CONFLICT', `${task.id} is already scheduled`, { id: task.id });
        const handle = track(services.scheduler.schedule(task, pluginId));
        tasks.set(handle, task.id);
        return handle;
      },
    },
    mail: {
      ingest: async (message) => {
        need('mail:ingest', 'mail.ingest()');
        declaredSource(message);
        try {
          return await services.tickets.ingest(message);
        } catch (error) {
          // Only PluginErrors cross the port, and the plugin logs what it gets: never the SQL or the message's content.
          logger.warn('mail ingest failed', { accountId: message.accountId, error: loggableError(error) });
          throw ingestFailure(error);
        }
      },
      // Offered only when the ticket store has a batch ingest: the port promises all or nothing per call.
      ...(ingestMany === undefined
        ? {}
        : {
            ingestMany: async (messages: readonly InboundMessage[]) => {
              need('mail:ingest', 'mail.ingestMany()');
              messages.forEach(declaredSource);
              try {
                return await ingestMany(messages);
              } catch (error) {
                logger.warn('mail batch ingest failed', {
                  accountId: messages[0]?.accountId,
                  count: messages.length,
                  error: loggableError(error),
                });
                throw ingestFailure(error);
              }
            },
          }),
      registerTransport: (transport) => {
        need('mail:send', 'mail.registerTransport()');
        if (!manifest.contributes.mailTransports.some((t) => t.id === transport.id)) {
          throw undeclared(
            'mail transport',
            transport.id,
            'which plugin.json does not declare in contributes.mailTransports',
          );
        }
        return track(services.registry.addTransport(pluginId, transport));
      },
    },
    notify: {
      notify: async (notification) => {
        need('notifications', 'notify.notify()');
        await services.notifications.notify(pluginId, notification);
      },
      resolve: async (key) => {
        need('notifications', 'notify.resolve()');
        await services.notifications.resolve(pluginId, key);
      },
    },
    lifecycle: {
      onShutdown: (hook) => {
        shutdownHooks.push(hook);
      },
    },
  };

  return {
    host,
    async dispose() {
      closed = true;
      for (const handle of [...live]) {
        try {
          await handle.dispose();
        } catch (error) {
          logger.error('disposing a registration failed', { error: loggableError(error) });
        }
      }
    },
    async runShutdownHooks() {
      if (shutdownDone) return;
      shutdownDone = true;
      for (const hook of shutdownHooks) {
        try {
          await hook();
        } catch (error) {
          logger.error('a shutdown hook failed', { error: loggableError(error) });
        }
      }
    },
    scheduledTaskIds: () => [...tasks.values()],
  };
}
