/** Tells the kinds of SQL driver error apart, the same way for SQLite (sqlite3), PostgreSQL (pg) and MySQL/MariaDB (mysql2). */
/** What a driver error carries that tells its kind apart (sqlite3, pg and mysql2 all set some of these). */
export interface DriverErrorFields {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
}

/** Network-level codes Node sets on a failed or dropped socket. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  // mysql2
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_CONNECTION_KILLED',
  // sqlite3: busy after busy_timeout and our retries, file missing or unreadable
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
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
  if (
    codeText === '23505' ||
    codeText === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    (codeText === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/.test(text))
  )
    return 'unique';
  if (
    codeText === '23503' ||
    codeText === 'ER_NO_REFERENCED_ROW_2' ||
    codeText === 'ER_ROW_IS_REFERENCED_2' ||
    errno === 1451 ||
    errno === 1452 ||
    (codeText === 'SQLITE_CONSTRAINT' && text.includes('FOREIGN KEY'))
  )
    return 'foreign_key';
  if (codeText === '22001' || codeText === 'ER_DATA_TOO_LONG' || errno === 1406) return 'too_long';
  if (
    codeText === '40001' ||
    codeText === '40P01' ||
    codeText === 'ER_LOCK_DEADLOCK' ||
    codeText === 'ER_LOCK_WAIT_TIMEOUT'
  )
    return 'concurrency';
  if (CONNECTION_CODES.has(codeText) || PG_UNAVAILABLE.test(codeText)) return 'unavailable';
  if (name === 'KnexTimeoutError' && text.includes('acquiring a connection')) return 'unavailable';
  if (UNAVAILABLE_MESSAGES.some((m) => text.includes(m))) return 'unavailable';
  return 'other';
}
