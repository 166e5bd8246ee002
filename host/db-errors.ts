/** Small helpers for reading driver results and errors in the host's stores. */
import { classifyDatabaseError } from '../lib/sql/classify-database-error';

/**
 * True when `error` is a unique-constraint violation on SQLite, PostgreSQL or MySQL/MariaDB.
 * @param error - what knex threw
 */
export function isUniqueViolation(error: unknown): boolean {
  return classifyDatabaseError(error) === 'unique';
}

/**
 * True when the database could not serve the query for now: unreachable, out of connections, or busy (a SQLite file
 * locked by another process past the busy timeout, a deadlock or lock-wait timeout); trying again later may succeed.
 * @param error - what knex threw
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const kind = classifyDatabaseError(error);
  return kind === 'unavailable' || kind === 'concurrency';
}

/**
 * A bigint column as a number (PostgreSQL returns BIGINT as a string).
 * @param value - the column value
 */
export function toMillis(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
