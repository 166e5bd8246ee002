import type { Knex } from 'knex';
import { migrations, type NamedMigration } from '../../migrations/index';
import { PluginError } from '../../plugin/errors';
import { classifyDatabaseError } from '../../lib/sql/classify-database-error';
import { toDatabaseError } from './database-errors';

/** The plugin's own migrations table; knex adds `_lock` for its lock table. Never shared with the host's `knex_migrations`. */
export const MIGRATIONS_TABLE = 'oauth2_mail_knex_migrations';

/** A knex MigrationSource over the statically imported list in migrations/index.ts. */
export class PluginMigrationSource implements Knex.MigrationSource<NamedMigration> {
  /** @returns every migration, oldest first */
  async getMigrations(): Promise<NamedMigration[]> {
    return [...migrations];
  }

  /** @returns the name recorded in {@link MIGRATIONS_TABLE} */
  getMigrationName(migration: NamedMigration): string {
    return migration.name;
  }

  /** @returns the migration itself */
  async getMigration(migration: NamedMigration): Promise<Knex.Migration> {
    return migration;
  }
}

/**
 * The migrator configuration a host passes to `knex.migrate.latest()` when it runs the plugin's
 * migrations itself (`DatabasePort.migrationsRunByHost`).
 */
export const migrationConfig: Readonly<Knex.MigratorConfig> = Object.freeze({
  tableName: MIGRATIONS_TABLE,
  migrationSource: new PluginMigrationSource(),
});

/** Options of {@link migrateLatest} and {@link rollbackAll}. */
export interface MigrateOptions {
  /** How long to wait for another process holding the migration lock, in ms (default 30 000). */
  readonly lockWaitMs?: number;
}

const LOCKED_MESSAGE = 'Migration table is already locked';

/** True when another process holds the migration lock (or SQLite's write lock): waiting helps. */
function isLockHeld(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return message.includes(LOCKED_MESSAGE) || message.includes('SQLITE_BUSY');
}

/** True when two processes created the migrations table at the same moment: the next try finds it. */
function isCreationRace(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '42P07' ||
    code === 'ER_TABLE_EXISTS_ERROR' ||
    /already exists/.test(message) ||
    classifyDatabaseError(error) === 'unique'
  );
}

const CREATION_RACE_RETRIES = 3;

async function withLockRetry<T>(action: string, run: () => Promise<T>, options: MigrateOptions): Promise<T> {
  const deadline = Date.now() + (options.lockWaitMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const locked = isLockHeld(error);
      if (!locked && !(isCreationRace(error) && attempt < CREATION_RACE_RETRIES)) throw toDatabaseError(error);
      if (locked && Date.now() >= deadline) {
        throw new PluginError(
          'ERR_CONFLICT',
          `Could not ${action}: another process holds the plugin's migration lock (table ${MIGRATIONS_TABLE}_lock). ` +
            `If no migration is running, clear it with: UPDATE ${MIGRATIONS_TABLE}_lock SET is_locked = 0`,
          { table: `${MIGRATIONS_TABLE}_lock` },
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * 2 ** attempt) + Math.random() * 100));
    }
  }
}

/**
 * Applies every pending plugin migration. Safe when several processes start at once: a process that
 * finds the lock taken waits for it and then finds nothing left to do.
 * @param knex - the host's knex instance
 * @returns the names of the migrations applied now
 * @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_CONFLICT (lock held longer than `lockWaitMs`) | ERR_INTERNAL
 */
export async function migrateLatest(knex: Knex, options: MigrateOptions = {}): Promise<string[]> {
  const [, applied] = (await withLockRetry(
    'apply the migrations',
    () => knex.migrate.latest(migrationConfig),
    options,
  )) as [number, string[]];
  return applied;
}

/**
 * Rolls back every plugin migration, dropping the plugin's tables (uninstall, tests).
 * @param knex - the host's knex instance
 * @returns the names of the migrations rolled back
 * @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_CONFLICT | ERR_INTERNAL
 */
export async function rollbackAll(knex: Knex, options: MigrateOptions = {}): Promise<string[]> {
  const [, reverted] = (await withLockRetry(
    'roll back the migrations',
    () => knex.migrate.rollback(migrationConfig, true),
    options,
  )) as [number, string[]];
  return reverted;
}

/**
 * The plugin migrations not applied yet (a host that runs them itself can check before activation).
 * @param knex - the host's knex instance
 * @returns their names, oldest first
 * @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_INTERNAL
 */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  try {
    const [, pending] = (await knex.migrate.list(migrationConfig)) as [unknown[], NamedMigration[]];
    return pending.map((m) => m.name);
  } catch (error) {
    throw toDatabaseError(error);
  }
}
