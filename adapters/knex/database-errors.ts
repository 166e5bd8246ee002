import { isPluginError, PluginError } from '../../plugin/errors';

/** What a driver error carries that tells its kind apart (sqlite3, pg and mysql2 all set some of these). */
interface DriverErrorFields {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
}

/** Network-level codes Node sets on a failed or dropped socket. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  // mysql2
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_CONNECTION_KILLED',
  // sqlite3: busy after busy_timeout and our retries, file missing or unreadable
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY',
]);

/** PostgreSQL SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator intervention), 3D000 (no such database), 28 (auth). */
const PG_UNAVAILABLE = /^(08|53|57P|3D000|28)/;

/** Messages of errors that come without a code (knex pool, pg client). */
const UNAVAILABLE_MESSAGES = [
  'Unable to acquire a connection',
  'Knex: Timeout acquiring a connection',
  'Connection terminated',
  'Client has encountered a connection error',
  'connect ECONNREFUSED',
  "Can't add new command when connection is in closed state",
];

/** The kinds of driver error a repository tells apart. */
export type DatabaseErrorKind = 'unavailable' | 'unique' | 'foreign_key' | 'too_long' | 'concurrency' | 'other';

/**
 * Classifies an error thrown by knex or its driver.
 * @param error - anything thrown by a query
 * @returns the kind, `other` when unknown
 */
export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  if (typeof error !== 'object' || error === null) return 'other';
  const { code, errno, name, message } = error as DriverErrorFields;
  const codeText = typeof code === 'string' ? code : '';
  const text = typeof message === 'string' ? message : '';
  if (codeText === '23505' || codeText === 'ER_DUP_ENTRY' || errno === 1062 || (codeText === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/.test(text))) return 'unique';
  if (codeText === '23503' || codeText === 'ER_NO_REFERENCED_ROW_2' || codeText === 'ER_ROW_IS_REFERENCED_2' || errno === 1451 || errno === 1452 || (codeText === 'SQLITE_CONSTRAINT' && text.includes('FOREIGN KEY'))) return 'foreign_key';
  if (codeText === '22001' || codeText === 'ER_DATA_TOO_LONG' || errno === 1406) return 'too_long';
  if (codeText === '40001' || codeText === '40P01' || codeText === 'ER_LOCK_DEADLOCK' || codeText === 'ER_LOCK_WAIT_TIMEOUT') return 'concurrency';
  if (CONNECTION_CODES.has(codeText) || PG_UNAVAILABLE.test(codeText)) return 'unavailable';
  if (name === 'KnexTimeoutError' && text.includes('acquiring a connection')) return 'unavailable';
  if (UNAVAILABLE_MESSAGES.some((m) => text.includes(m))) return 'unavailable';
  return 'other';
}

/**
 * Turns a knex / driver error into a {@link PluginError}. The driver's message is kept only as `cause`
 * (it may quote bound values), never in the PluginError's own message.
 * @param error - anything thrown by a query
 * @param notFound - the message to use when a foreign key points at nothing (e.g. "App registration 7 does not exist");
 *   without it a foreign-key failure is a conflict (a row still referenced)
 * @returns ERR_DATABASE_UNAVAILABLE, ERR_CONFLICT, ERR_NOT_FOUND, ERR_INPUT_INVALID or ERR_INTERNAL; a PluginError unchanged
 */
export function toDatabaseError(error: unknown, notFound?: string): PluginError {
  if (isPluginError(error)) return error;
  const cause = { cause: error };
  switch (classifyDatabaseError(error)) {
    case 'unavailable':
      return new PluginError('ERR_DATABASE_UNAVAILABLE', undefined, {}, cause);
    case 'unique':
      return new PluginError('ERR_CONFLICT', 'An item with the same key already exists.', {}, cause);
    case 'foreign_key':
      return notFound !== undefined
        ? new PluginError('ERR_NOT_FOUND', notFound, {}, cause)
        : new PluginError('ERR_CONFLICT', 'The item is still referenced by other items.', {}, cause);
    case 'too_long':
      return new PluginError('ERR_INPUT_INVALID', 'A value is longer than the database column allows.', {}, cause);
    case 'concurrency':
      return new PluginError('ERR_CONFLICT', undefined, {}, cause);
    default:
      return new PluginError('ERR_INTERNAL', 'An unexpected database error happened.', {}, cause);
  }
}

/** How often a statement that met SQLITE_BUSY (after the connection's busy_timeout) is tried again. */
const BUSY_RETRIES = 3;

/**
 * Runs one repository operation: retries it a few times when SQLite reports the file busy (another
 * process writing), then maps any failure with {@link toDatabaseError}. `operation` must be safe to
 * repeat, i.e. a single statement or a whole transaction.
 * @param operation - the database work
 * @param notFound - see {@link toDatabaseError}
 * @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_CONFLICT | ERR_NOT_FOUND | ERR_INPUT_INVALID | ERR_INTERNAL, or a PluginError the operation threw
 */
export async function withDatabaseErrors<T>(operation: () => Promise<T>, notFound?: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = (error as DriverErrorFields | null)?.code;
      if ((code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') && attempt < BUSY_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt + Math.random() * 50));
        continue;
      }
      throw toDatabaseError(error, notFound);
    }
  }
}
