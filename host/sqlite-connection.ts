import type { Knex } from 'knex';

/** How long a SQLite connection waits for another process's write lock before SQLITE_BUSY, in ms. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The subset of a node-sqlite3 `Database` the pool hook uses. */
interface SqliteDatabase {
  run(sql: string, callback: (error: Error | null) => void): void;
}

function run(connection: SqliteDatabase, sql: string): Promise<void> {
  return new Promise((resolve, reject) => connection.run(sql, (error) => (error ? reject(error) : resolve())));
}

/**
 * Prepares each new SQLite connection: waits on busy instead of failing, WAL so readers never block the
 * writer, foreign keys enforced (SQLite leaves them off per connection), `synchronous = NORMAL` (safe with WAL).
 */
async function prepareSqliteConnection(connection: SqliteDatabase): Promise<void> {
  await run(connection, `PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  try {
    await run(connection, 'PRAGMA journal_mode = WAL');
  } catch {
    // Several processes opening a fresh file race to switch it to WAL; the mode is stored in the file,
    // so the winner's switch holds for everyone and the loser can go on.
  }
  await run(connection, 'PRAGMA foreign_keys = ON');
  await run(connection, 'PRAGMA synchronous = NORMAL');
}

/**
 * The knex configuration for one SQLite file shared by the host and the plugin, and by several processes
 * at once: `sqlite3` client, `useNullAsDefault`, one connection per process, and a pool `afterCreate`
 * hook setting `busy_timeout`, `journal_mode = WAL` and `foreign_keys = ON`.
 * @param filename - path of the database file (`:memory:` for a private in-memory database)
 * @returns a config for `knex()`
 * @example
 * const db = knex(sqliteConnectionConfig('data/helpdesk.sqlite'));
 */
export function sqliteConnectionConfig(filename: string): Knex.Config {
  return {
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteDatabase, done: (error: Error | null, connection: SqliteDatabase) => void) {
        prepareSqliteConnection(connection).then(
          () => done(null, connection),
          (error: Error) => done(error, connection),
        );
      },
    },
  };
}
