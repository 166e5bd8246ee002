import type { Knex } from 'knex';

/**
 * Inserts one row into a table with an `increments('id')` key and returns the new id as a string.
 * PostgreSQL and SQLite answer `RETURNING id`; MySQL/MariaDB have no RETURNING and answer the insert id
 * (knex warns when asked to return there).
 * @param db - knex or a transaction
 * @param table - the table
 * @param row - the columns
 * @returns the id (a BIGINT may arrive as a string from PostgreSQL, so it is always a string here)
 */
export async function insertReturningId(
  db: Knex | Knex.Transaction,
  table: string,
  row: Record<string, unknown>,
): Promise<string> {
  if ((db.client as { dialect?: string }).dialect === 'mysql') {
    const [id] = (await db(table).insert(row)) as (number | string)[];
    return String(id);
  }
  const [inserted] = (await db(table).insert(row, ['id'])) as { id: number | string }[];
  return String(inserted.id);
}
