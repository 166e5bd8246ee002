import { knex, type Knex } from 'knex';
import { PluginError } from '../plugin/index';
import { sqliteConnectionConfig } from './sqlite-connection';

/** How long a query waits for a pooled connection before ERR_DATABASE_UNAVAILABLE, in ms. */
const ACQUIRE_TIMEOUT_MS = 15_000;

function mysqlConfig(url: URL): Knex.Config {
  return {
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
      charset: 'utf8mb4',
      // BIGINT columns (epoch ms, UIDs) as numbers while they fit, never as strings.
      supportBigNumbers: true,
      bigNumberStrings: false,
    },
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
  };
}

/**
 * Builds a knex instance from one connection string, as the reference host and the console take it.
 *
 * - a file path, `:memory:`, or `sqlite:<path>` -> SQLite through {@link sqliteConnectionConfig} (WAL, busy timeout)
 * - `postgres://user:pass@host:5432/db` (or `postgresql://`) -> `pg`
 * - `mysql://user:pass@host:3306/db` (or `mariadb://`) -> `mysql2` with `supportBigNumbers`, utf8mb4
 *
 * @param url - the connection string; it may hold a password, so it never appears in an error
 * @returns a knex instance; the caller destroys it
 * @throws PluginError ERR_INPUT_INVALID for another scheme or an unparsable URL
 * @example
 * const db = createKnex(process.env.DATABASE_URL ?? 'data/helpdesk.sqlite');
 */
export function createKnex(url: string): Knex {
  const trimmed = url.trim();
  if (trimmed === '') throw new PluginError('ERR_INPUT_INVALID', 'The database URL is empty.', { field: 'database' });
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1 /* a Windows drive letter */)
    return knex(sqliteConnectionConfig(trimmed));
  if (scheme === 'sqlite' || scheme === 'sqlite3')
    return knex(sqliteConnectionConfig(trimmed.replace(/^sqlite3?:(\/\/)?/i, '')));
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new PluginError('ERR_INPUT_INVALID', `The ${scheme}: database URL cannot be parsed.`, { field: 'database' });
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return knex({
      client: 'pg',
      connection: trimmed,
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
    });
  }
  if (scheme === 'mysql' || scheme === 'mariadb') return knex(mysqlConfig(parsed));
  throw new PluginError(
    'ERR_INPUT_INVALID',
    `Unsupported database URL scheme "${scheme}:"; use a SQLite file path, postgres:// or mysql://.`,
    { field: 'database' },
  );
}
