/**
 * The HostPort a test or the bench builds the plugin with: the reference host's own plugin scope
 * (host/plugin-scope.ts: permission checks, declared contributions only, declared mail sources only) over the real
 * plugin.json, every declared permission granted and the config defaulted and checked against plugin.json
 * `config.schema`, as the plugin manager does at install. What differs from a running host is only what a test must
 * choose: the database, the secrets, the logger, where ingested mail goes, and the public URL, which answers the
 * redirect URI the OAuth server has registered. The plugin is then built from source with `buildServices(host)`,
 * the composition root production runs (the manager would load plugin.json `main` and call `activate`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ContributionRegistry } from '../../host/contribution-registry';
import { toLoggerPort } from '../../host/logger';
import { NotificationCenter } from '../../host/notifications';
import { applyConfigSchema, compileConfigSchema } from '../../host/plugin-config';
import { createPluginScope, pluginMountPath, type PluginScope } from '../../host/plugin-scope';
import { Scheduler } from '../../host/scheduler';
import { TicketStore } from '../../host/ticket-store';
import { ROUTE_PATHS } from '../../plugin/admin/admin-paths';
import { PluginManifest } from '../../plugin/manifest';
import type { HostPort, MailPort, SecretsPort } from '../../plugin/ports/host';

/**
 * The redirect URI the tests and the bench register at the local OAuth server: where a test plugin host on
 * `http://127.0.0.1:9` serves the plugin's callback (nothing listens there: completeAuthorization stops at it).
 */
export const TEST_REDIRECT_URI = 'http://127.0.0.1:9/plugins/oauth2-mail/callback';

/** Options of {@link createTestPluginHost}. */
export interface TestPluginHostOptions {
  readonly knex: Knex;
  readonly secrets: SecretsPort;
  /** The host's logger; the plugin gets a child bound to its id, as from the reference host. */
  readonly logger: Logger;
  /**
   * The redirect URI registered at the OAuth server, `<base>/plugins/oauth2-mail/callback`: the scope's
   * `routes.publicUrl` is built on `<base>`, so `publicUrl('/callback')` is exactly this URI.
   */
  readonly redirectUri: string;
  /** The plugin config as an admin stores it (default `{}`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Where `mail.ingest` goes after the scope's checks; default the reference host's TicketStore on `knex`. */
  readonly mail?: Pick<MailPort, 'ingest' | 'ingestMany'>;
}

/** A scoped host object and the host pieces behind it. */
export interface TestPluginHost {
  readonly host: HostPort;
  readonly scope: PluginScope;
  readonly manifest: PluginManifest;
  readonly notifications: NotificationCenter;
}

/** plugin.json of the repository, found upwards (this also runs compiled, from dist-dev/test/helpers). */
function readPluginJson(): unknown {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'plugin.json');
    if (existsSync(candidate) && existsSync(join(dir, 'plugin.schema.json')))
      return JSON.parse(readFileSync(candidate, 'utf8'));
    if (dirname(dir) === dir) throw new Error(`plugin.json not found above ${__dirname}`);
  }
}

/**
 * Builds the scoped host object.
 * @param options - database, secrets, logger, redirect URI, config, mail pipeline
 * @throws PluginError ERR_INPUT_INVALID when `config` does not pass plugin.json `config.schema`
 */
export function createTestPluginHost(options: TestPluginHostOptions): TestPluginHost {
  const manifest = PluginManifest.parse(readPluginJson());
  const suffix = `${pluginMountPath(manifest.id)}${ROUTE_PATHS.callback}`;
  if (!options.redirectUri.endsWith(suffix))
    throw new Error(`the test host serves the callback at <base>${suffix}; ${options.redirectUri} cannot be answered`);
  const publicBaseUrl = options.redirectUri.slice(0, -suffix.length);
  let config: Readonly<Record<string, unknown>> = options.config ?? {};
  if (manifest.config?.schema) {
    const compiled = compileConfigSchema(manifest.config.schema);
    if (compiled.problems) throw new Error(`plugin.json config.schema: ${compiled.problems.join('; ')}`);
    config = applyConfigSchema(manifest.id, compiled.validate, config);
  }
  const logger = toLoggerPort(options.logger);
  const notifications = new NotificationCenter(options.knex, logger);
  const scope = createPluginScope(
    {
      knex: options.knex,
      secrets: options.secrets,
      logger: options.logger,
      registry: new ContributionRegistry(),
      scheduler: new Scheduler(logger),
      tickets: options.mail ?? new TicketStore(options.knex),
      notifications,
      publicBaseUrl: () => publicBaseUrl,
    },
    manifest,
    new Set(manifest.permissions),
    config,
  );
  return { host: scope.host, scope, manifest, notifications };
}
