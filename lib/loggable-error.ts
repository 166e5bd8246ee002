/**
 * What a log line (the host's or the plugin's) carries of an error: its name, its codes and a cause, never SQL text or
 * message content. knex puts the
 * failing statement with its bound values (a customer's From address, a session's CSRF token) in an error's
 * `message`, and drivers put values in theirs (MySQL: "Duplicate entry 'x' …"), so a database error is logged by its
 * driver code and kind only; any other message loses e-mail addresses and is cut short.
 */
import { classifyDatabaseError, type DatabaseErrorKind } from './sql/classify-database-error';

/** An error as a log line carries it. */
export interface LoggableError {
  readonly name: string;
  /** The PluginError code, or the Node / driver code (`ECONNRESET`, `SQLITE_CONSTRAINT`, `23505`). */
  readonly code?: string;
  /** For a database error: what kind it is. */
  readonly kind?: DatabaseErrorKind;
  /** Scrubbed words; absent for a database error. */
  readonly message?: string;
  readonly cause?: LoggableError;
}

const MAX_MESSAGE = 300;
const MAX_DEPTH = 3;
/** The start of a statement as knex prints it in a message. */
const SQL = /\b(insert\s+into|select\s[\s\S]*\sfrom|update\s+\S+\s+set|delete\s+from|values\s*\()/i;
const ADDRESS = /[^\s<>()[\]"',;:@]+@[^\s<>()[\]"',;:@]+/g;
/** Driver codes: sqlite3 (`SQLITE_…`), mysql2 (`ER_…`, `PROTOCOL_…`), pg SQLSTATE (five characters). */
const DRIVER_CODE = /^(SQLITE_|ER_|PROTOCOL_)|^[0-9A-Z]{5}$/;

/**
 * Words of a message fit for a log line: a message holding an SQL statement is replaced, e-mail addresses are masked.
 * @param text - the message
 */
export function scrubMessage(text: string): string {
  if (SQL.test(text)) return '[an SQL statement, left out]';
  const scrubbed = text.replace(ADDRESS, '[address]');
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE)}…` : scrubbed;
}

function isDatabaseError(code: string | undefined, message: string): boolean {
  return (code !== undefined && DRIVER_CODE.test(code)) || SQL.test(message);
}

/**
 * The error as a log line may carry it.
 * @param error - anything thrown
 * @example
 * logger.error({ error: loggableError(caught) }, 'task run failed');
 */
export function loggableError(error: unknown, depth = 0): LoggableError {
  // Duck-typed: errors made by a native driver or in another realm are not `instanceof Error` here.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string')
    return { name: typeof error, message: scrubMessage(String(error)) };
  const { name: rawName, message, code: rawCode, cause: rawCause } = error as Error & { code?: unknown };
  const name = typeof rawName === 'string' ? rawName : 'Error';
  const code = typeof rawCode === 'string' ? rawCode : typeof rawCode === 'number' ? String(rawCode) : undefined;
  const cause = rawCause !== undefined && depth < MAX_DEPTH ? loggableError(rawCause, depth + 1) : undefined;
  const withCause = cause ? { cause } : {};
  // An application error (a PluginError: `ERR_…`) says in words what went wrong; only a driver's is left out.
  if (!code?.startsWith('ERR_') && isDatabaseError(code, message))
    return { name, code, kind: classifyDatabaseError(error), ...withCause };
  return { name, ...(code ? { code } : {}), message: scrubMessage(message), ...withCause };
}

/**
 * A short, clean description of a failure for an error message another party logs or shows (e.g. the plugin's reason
 * for a rejected message): the code and, for a database error, its kind.
 * @param error - anything thrown
 */
export function failureSummary(error: unknown): string {
  const described = loggableError(error);
  if (described.kind) return `database error ${described.code ?? described.name} (${described.kind})`;
  return described.code ? `${described.name} ${described.code}` : described.name;
}

/**
 * A failure in words fit for a log line, a ledger row or a notification: the code and the scrubbed message, or for a
 * database error its driver code and kind.
 * @param error - anything thrown (e.g. what a host's ingest threw)
 */
export function failureText(error: unknown): string {
  const described = loggableError(error);
  if (described.kind) return failureSummary(error);
  return [described.code, described.message].filter(Boolean).join(': ') || described.name;
}
