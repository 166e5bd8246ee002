/** What the host logs of an error: codes and kinds for database errors, scrubbed words for the rest. */
import { loggableError, scrubMessage } from '../../../lib/loggable-error';
import { PluginError } from '../../../plugin/errors';

const driverError = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('loggableError', () => {
  it.each([
    [
      'sqlite3 via knex',
      "insert into `t` (`a`) values ('x@y.example') - SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a",
      'SQLITE_CONSTRAINT',
      'unique',
    ],
    ['mysql2', "Duplicate entry 'x@y.example' for key 'email'", 'ER_DUP_ENTRY', 'unique'],
    ['pg', 'duplicate key value violates unique constraint "host_users_email_unique"', '23505', 'unique'],
    ['sqlite3 busy', 'SQLITE_BUSY: database is locked', 'SQLITE_BUSY', 'unavailable'],
  ])('keeps only the code and kind of a %s error', (_driver, message, code, kind) => {
    expect(loggableError(driverError(message, code))).toEqual({ name: 'Error', code, kind });
  });

  it('keeps a PluginError code, scrubs its words and describes its cause', () => {
    const cause = driverError("insert into `host_tickets` values ('Jane <jane@c.example>')", 'SQLITE_CONSTRAINT');
    const error = new PluginError('ERR_INGEST_REJECTED', 'Refused mail from jane@c.example', {}, { cause });
    expect(loggableError(error)).toEqual({
      name: 'PluginError',
      code: 'ERR_INGEST_REJECTED',
      message: 'Refused mail from [address]',
      cause: { name: 'Error', code: 'SQLITE_CONSTRAINT', kind: 'other' },
    });
  });

  it('scrubs other messages and things thrown that are not errors', () => {
    expect(loggableError(new TypeError('bad value for bob@example.test'))).toEqual({
      name: 'TypeError',
      message: 'bad value for [address]',
    });
    expect(loggableError('select * from host_users')).toEqual({
      name: 'string',
      message: '[an SQL statement, left out]',
    });
    expect(scrubMessage('x'.repeat(400))).toHaveLength(301);
  });
});
