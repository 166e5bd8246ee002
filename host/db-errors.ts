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
 * A bigint column as a number (PostgreSQL returns BIGINT as a string).
 * @param value - the column value
 */
export function toMillis(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
