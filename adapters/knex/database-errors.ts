import { classifyDatabaseError, type DriverErrorFields } from '../../lib/sql/classify-database-error';
import { isPluginError, PluginError } from '../../plugin/errors';

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
