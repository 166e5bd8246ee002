/** Inserting a row and getting its auto-increment id, on every supported database. */
import type { Knex } from 'knex';

/**
 * Inserts `row` into `table` and returns the new `id`.
 * @param knex - the database (or a transaction)
 * @param table - table with an auto-increment `id`
 * @param row - column values
 */
export async function insertReturningId(knex: Knex, table: string, row: Record<string, unknown>): Promise<number> {
  const client = String(knex.client.config.client ?? '');
  // MySQL has no RETURNING; knex answers with [insertId] there and warns if asked to return.
  const result: unknown[] = client === 'mysql' || client === 'mysql2' ? await knex(table).insert(row) : await knex(table).insert(row, ['id']);
  const first = result[0];
  return Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
}
