/**
 * The plugin manager: installs a plugin from a folder (read plugin.json, validate it, grant the
 * declared permissions, load `main`, check its exports, activate it with a scoped host object),
 * records it in `host_plugins`, activates installed plugins at start and deactivates them at stop.
 * A plugin that fails never takes the host down: its problems are reported and the host goes on.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Knex } from 'knex';
import { isPluginError, PluginError, type PluginErrorCode } from '../plugin/index';
import { KNOWN_PERMISSIONS, type ContributionKind, type PluginManifest } from '../plugin/index';
import { loggableError, scrubMessage } from '../lib/loggable-error';
import { validateManifest, type ManifestValidation } from './manifest-validation';
import { HOST_API_VERSION, type LoggerPort, type PluginEntry } from '../plugin/index';
import { isUniqueViolation, toMillis } from './db-errors';
import { applyConfigSchema, compileConfigSchema } from './plugin-config';
import { createPluginScope, type HostServices, type PluginScope } from './plugin-scope';

/** The host's own id for notifications about plugins. */
export const HOST_NOTIFICATION_SOURCE = 'host';

/** An installed plugin as listed. */
export interface InstalledPlugin {
  readonly id: string;
  readonly version: string;
  readonly directory: string;
  readonly permissions: readonly string[];
  readonly enabled: boolean;
  readonly active: boolean;
  readonly lastError: string | null;
  readonly installedAt: number;
  readonly updatedAt: number;
}

/** Options of {@link PluginManager.install}. */
export interface InstallOptions {
  /** Permissions to grant; default: every permission plugin.json declares. */
  readonly grant?: readonly string[];
  /** Stored configuration; default: keep the stored one, or `{}`. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Result of activating one installed plugin at start. */
export interface ActivationReport {
  readonly id: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
}

interface ActivePlugin {
  readonly manifest: PluginManifest;
  readonly directory: string;
  readonly entry: PluginEntry;
  readonly scope: PluginScope;
  readonly granted: ReadonlySet<string>;
  readonly config: Readonly<Record<string, unknown>>;
}

interface PluginRow {
  readonly id: string;
  readonly version: string;
  readonly directory: string;
  readonly permissions: string;
  readonly config: string;
  readonly enabled: boolean | number;
  readonly last_error: string | null;
  readonly installed_at: number | string;
  readonly updated_at: number | string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function manifestError(directory: string, problems: readonly string[]): PluginError {
  return new PluginError(
    'ERR_MANIFEST_INVALID',
    `The plugin in ${directory} cannot be installed:\n - ${problems.join('\n - ')}`,
    { problems: [...problems] },
  );
}

/** Installs, activates and deactivates plugins. */
export class PluginManager {
  private readonly active = new Map<string, ActivePlugin>();

  /**
   * @param knex - the host database (host migrations applied)
   * @param services - what plugin scopes are built from
   * @param logger - the host's logger
   * @param now - clock, epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly services: HostServices,
    private readonly logger: LoggerPort,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reads and validates the plugin.json of a folder (nothing is loaded or recorded).
   * @param directory - the plugin folder
   */
  inspect(directory: string): ManifestValidation & { readonly directory: string } {
    const dir = resolve(directory);
    let text: string;
    try {
      text = readFileSync(join(dir, 'plugin.json'), 'utf8');
    } catch (error) {
      return {
        directory: dir,
        problems: [
          `plugin.json cannot be read in ${dir}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`,
        ],
      };
    }
    const validation = validateManifest(text, {
      pluginDir: dir,
      hostApiVersion: HOST_API_VERSION,
      nodeVersion: process.versions.node,
      knownPermissions: KNOWN_PERMISSIONS,
    });
    const schema = validation.manifest?.config?.schema;
    if (schema) {
      const compiled = compileConfigSchema(schema);
      if (compiled.problems) return { directory: dir, problems: compiled.problems };
    }
    return { directory: dir, ...validation };
  }

  /**
   * Installs (or upgrades) the plugin in `directory` and activates it. Nothing is recorded unless
   * activation succeeded; a previously active version is restored when the new one fails.
   * @throws PluginError ERR_MANIFEST_INVALID listing every problem, ERR_INPUT_INVALID for a grant not declared,
   *   or the activation's error (ERR_CONTRIBUTION_UNDECLARED, ERR_PERMISSION_NOT_GRANTED, …)
   */
  async install(directory: string, options: InstallOptions = {}): Promise<InstalledPlugin> {
    const inspected = this.inspect(directory);
    if (!inspected.manifest) throw manifestError(inspected.directory, inspected.problems);
    const manifest = inspected.manifest;
    const notDeclared = (options.grant ?? []).filter((p) => !manifest.permissions.includes(p));
    if (notDeclared.length > 0)
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Cannot grant ${notDeclared.join(', ')}: plugin.json does not ask for it`,
        { permissions: notDeclared },
      );
    const granted = new Set(options.grant ?? manifest.permissions);
    const previousRow = await this.findRow(manifest.id);
    const config = options.config ?? (previousRow ? (JSON.parse(previousRow.config) as Record<string, unknown>) : {});

    // Refused before the running version is touched.
    this.effectiveConfig(manifest, inspected.directory, config);
    const previous = this.active.get(manifest.id);
    if (previous) await this.deactivate(manifest.id);
    try {
      await this.activatePlugin(manifest, inspected.directory, granted, config);
    } catch (error) {
      if (previous)
        await this.activatePlugin(previous.manifest, previous.directory, previous.granted, previous.config).catch(
          (again) =>
            this.logger.error('could not restore the previous version', {
              plugin: manifest.id,
              error: loggableError(again),
            }),
        );
      throw error;
    }
    await this.saveRow(manifest, inspected.directory, [...granted], config, previousRow);
    await this.services.notifications.resolve(HOST_NOTIFICATION_SOURCE, activationKey(manifest.id));
    this.logger.info('plugin installed', { plugin: manifest.id, version: manifest.version, permissions: [...granted] });
    return this.describe(await this.requireRow(manifest.id));
  }

  /**
   * The stored configuration of an installed plugin (as given, without defaults).
   * @throws PluginError ERR_NOT_FOUND when the plugin is not installed
   */
  async storedConfig(id: string): Promise<Record<string, unknown>> {
    return JSON.parse((await this.requireRow(id)).config) as Record<string, unknown>;
  }

  /**
   * Replaces the stored configuration of an installed plugin after validating it against its
   * `config.schema` the same way as at activate. An active plugin is re-activated with it; if that
   * fails the previous configuration is kept, running and stored.
   * @throws PluginError ERR_NOT_FOUND, ERR_MANIFEST_INVALID, ERR_INPUT_INVALID naming each problem, or the activation's error
   */
  async setConfig(id: string, config: Readonly<Record<string, unknown>>): Promise<InstalledPlugin> {
    const row = await this.requireRow(id);
    const inspected = this.inspect(row.directory);
    if (!inspected.manifest) throw manifestError(inspected.directory, inspected.problems);
    if (inspected.manifest.id !== id)
      throw manifestError(inspected.directory, [
        `plugin.json in ${row.directory} now has id "${inspected.manifest.id}", installed as "${id}"`,
      ]);
    this.effectiveConfig(inspected.manifest, inspected.directory, config);
    const running = this.active.get(id);
    if (running) {
      await this.deactivate(id);
      try {
        await this.activatePlugin(running.manifest, running.directory, running.granted, config);
      } catch (error) {
        await this.activatePlugin(running.manifest, running.directory, running.granted, running.config).catch((again) =>
          this.logger.error('could not restore the previous config', { plugin: id, error: loggableError(again) }),
        );
        throw error;
      }
    }
    await this.knex('host_plugins')
      .where({ id })
      .update({ config: JSON.stringify(config), updated_at: this.now() });
    this.logger.info('plugin config saved', { plugin: id, keys: Object.keys(config) });
    return this.describe(await this.requireRow(id));
  }

  /** Activates every enabled installed plugin; failures are recorded, logged and shown as a banner. */
  async activateInstalled(): Promise<ActivationReport[]> {
    const rows: PluginRow[] = await this.knex('host_plugins').orderBy('id');
    const reports: ActivationReport[] = [];
    for (const row of rows) {
      if (!row.enabled || this.active.has(row.id)) continue;
      reports.push(await this.activateRow(row));
    }
    return reports;
  }

  /** Deactivates one plugin: its shutdown hooks, its `deactivate()`, then whatever it left registered. */
  async deactivate(id: string): Promise<void> {
    const plugin = this.active.get(id);
    if (!plugin) return;
    this.active.delete(id);
    await plugin.scope.runShutdownHooks();
    try {
      await plugin.entry.deactivate();
    } catch (error) {
      this.logger.error('plugin deactivate() failed', { plugin: id, error: loggableError(error) });
    }
    await plugin.scope.dispose();
    this.logger.info('plugin deactivated', { plugin: id });
  }

  /** Deactivates every active plugin (at host stop). */
  async deactivateAll(): Promise<void> {
    for (const id of [...this.active.keys()].reverse()) await this.deactivate(id);
  }

  /** Installed plugins with their state. */
  async list(): Promise<InstalledPlugin[]> {
    const rows: PluginRow[] = await this.knex('host_plugins').orderBy('id');
    return rows.map((row) => this.describe(row));
  }

  /** The manifest of an active plugin. */
  activeManifest(id: string): PluginManifest | undefined {
    return this.active.get(id)?.manifest;
  }

  /** Ids of active plugins. */
  activeIds(): string[] {
    return [...this.active.keys()];
  }

  /** What an active plugin registered, per contribution kind (mail sources are declared, never registered). */
  registrations(id: string): Partial<Record<ContributionKind, string[]>> {
    const plugin = this.active.get(id);
    if (!plugin) return {};
    const ids = this.services.registry.idsOf(id);
    return {
      routes: ids.routes,
      adminScreens: ids.adminScreens,
      mailTransports: ids.mailTransports,
      scheduledTasks: plugin.scope.scheduledTaskIds(),
    };
  }

  private async activateRow(row: PluginRow): Promise<ActivationReport> {
    const inspected = this.inspect(row.directory);
    let problems: readonly string[] = inspected.problems;
    if (inspected.manifest && inspected.manifest.id !== row.id)
      problems = [`plugin.json in ${row.directory} now has id "${inspected.manifest.id}", installed as "${row.id}"`];
    if (inspected.manifest && problems.length === 0) {
      try {
        const granted = new Set(
          (JSON.parse(row.permissions) as string[]).filter((p) => inspected.manifest?.permissions.includes(p)),
        );
        await this.activatePlugin(
          inspected.manifest,
          inspected.directory,
          granted,
          JSON.parse(row.config) as Record<string, unknown>,
        );
        await this.knex('host_plugins')
          .where({ id: row.id })
          .update({ last_error: null, version: inspected.manifest.version, updated_at: this.now() });
        await this.services.notifications.resolve(HOST_NOTIFICATION_SOURCE, activationKey(row.id));
        return { id: row.id, ok: true, problems: [] };
      } catch (error) {
        problems =
          isPluginError(error) && Array.isArray(error.details.problems)
            ? (error.details.problems as string[])
            : [messageOf(error)];
      }
    }
    this.logger.error('plugin not activated', { plugin: row.id, problems: problems.map(scrubMessage) });
    await this.knex('host_plugins')
      .where({ id: row.id })
      .update({ last_error: problems.join('\n'), updated_at: this.now() });
    await this.services.notifications.notify(HOST_NOTIFICATION_SOURCE, {
      key: activationKey(row.id),
      severity: 'error',
      title: `Plugin ${row.id} is not active`,
      message: problems.join(' | '),
    });
    return { id: row.id, ok: false, problems };
  }

  private loadEntry(manifest: PluginManifest, directory: string): PluginEntry {
    let loaded: unknown;
    try {
      // A plugin's entry is only known at run time, so it is loaded with a dynamic require (CommonJS, as the plugin ships).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(resolve(directory, manifest.main)) as unknown;
    } catch (error) {
      throw manifestError(directory, [`main: "${manifest.main}" could not be loaded: ${messageOf(error)}`]);
    }
    const module = loaded as Partial<PluginEntry> & { default?: Partial<PluginEntry> };
    const entry = typeof module.activate === 'function' ? module : module.default;
    const problems: string[] = [];
    if (typeof entry?.activate !== 'function')
      problems.push(`main: "${manifest.main}" does not export an activate(host) function`);
    if (typeof entry?.deactivate !== 'function')
      problems.push(`main: "${manifest.main}" does not export a deactivate() function`);
    if (problems.length > 0 || !entry) throw manifestError(directory, problems);
    return entry as PluginEntry;
  }

  /** The stored config, defaulted and validated against `config.schema` (as is when the plugin declares none). */
  private effectiveConfig(
    manifest: PluginManifest,
    directory: string,
    config: Readonly<Record<string, unknown>>,
  ): Readonly<Record<string, unknown>> {
    const schema = manifest.config?.schema;
    if (!schema) return config;
    const compiled = compileConfigSchema(schema);
    if (compiled.problems) throw manifestError(directory, compiled.problems);
    return applyConfigSchema(manifest.id, compiled.validate, config);
  }

  private async activatePlugin(
    manifest: PluginManifest,
    directory: string,
    granted: ReadonlySet<string>,
    config: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    // Checked before any plugin code is loaded: an invalid config never reaches activate().
    const effective = this.effectiveConfig(manifest, directory, config);
    const entry = this.loadEntry(manifest, directory);
    const scope = createPluginScope(this.services, manifest, granted, effective);
    try {
      await entry.activate(scope.host);
    } catch (error) {
      await scope.runShutdownHooks();
      await scope.dispose();
      const code: PluginErrorCode = isPluginError(error) ? error.code : 'ERR_INTERNAL';
      throw new PluginError(
        code,
        `${manifest.id}: activate() failed: ${messageOf(error)}`,
        isPluginError(error) ? error.details : {},
        { cause: error },
      );
    }
    this.active.set(manifest.id, { manifest, directory, entry, scope, granted, config });
    this.logger.info('plugin activated', { plugin: manifest.id, version: manifest.version });
  }

  private async findRow(id: string): Promise<PluginRow | undefined> {
    return this.knex('host_plugins').where({ id }).first();
  }

  private async requireRow(id: string): Promise<PluginRow> {
    const row = await this.findRow(id);
    if (!row) throw new PluginError('ERR_NOT_FOUND', `Plugin ${id} is not installed`);
    return row;
  }

  private async saveRow(
    manifest: PluginManifest,
    directory: string,
    permissions: string[],
    config: Readonly<Record<string, unknown>>,
    previous: PluginRow | undefined,
  ): Promise<void> {
    const at = this.now();
    const values = {
      version: manifest.version,
      directory,
      permissions: JSON.stringify(permissions),
      config: JSON.stringify(config),
      enabled: true,
      last_error: null,
      updated_at: at,
    };
    if (previous) {
      await this.knex('host_plugins').where({ id: manifest.id }).update(values);
      return;
    }
    try {
      await this.knex('host_plugins').insert({ id: manifest.id, ...values, installed_at: at });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.knex('host_plugins').where({ id: manifest.id }).update(values);
    }
  }

  private describe(row: PluginRow): InstalledPlugin {
    return {
      id: row.id,
      version: row.version,
      directory: row.directory,
      permissions: JSON.parse(row.permissions) as string[],
      enabled: Boolean(row.enabled),
      active: this.active.has(row.id),
      lastError: row.last_error,
      installedAt: toMillis(row.installed_at),
      updatedAt: toMillis(row.updated_at),
    };
  }
}

function activationKey(pluginId: string): string {
  return `plugin-activation:${pluginId}`;
}
