import type { Knex } from 'knex';
import type { DbInteger } from './rows';

/**
 * Inserts one row into a table with an `increments('id')` key and returns the new id as a string.
 * PostgreSQL and SQLite answer `RETURNING id`; MySQL/MariaDB have no RETURNING and answer the insert id.
 * @param db - knex or a transaction
 * @param table - the table
 * @param row - the columns
 * @returns the id
 */
export async function insertReturningId(db: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<string> {
  if ((db.client as { dialect?: string }).dialect === 'mysql') {
    const [id] = (await db(table).insert(row)) as DbInteger[];
    return String(id);
  }
  const [inserted] = (await db(table).insert(row, ['id'])) as { id: DbInteger }[];
  return String(inserted.id);
}
