import type { Knex } from 'knex';

/**
 * POP3 deliveries (docs/architecture.md#oauth2_mail_deliveries): a POP3 message is known by its UIDL only (no folder,
 * no UIDVALIDITY, no UID), so a delivery gets a `uidl` column ('' on IMAP rows) and the row's location becomes
 * (account, folder, UIDVALIDITY, UID, UIDL). POP3 rows have folder '' and uid_validity '' and uid 0.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table
      .string('uidl', 70)
      .notNullable()
      .defaultTo('')
      .comment("POP3: the message's UIDL (RFC 1939: 1-70 characters); '' on IMAP rows.");
  });
  // The new unique index first: MySQL keeps an index on account_id for the foreign key at every step.
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.unique(['account_id', 'folder', 'uid_validity', 'uid', 'uidl'], {
      indexName: 'oauth2_mail_deliveries_location_unique',
    });
  });
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.dropUnique(['account_id', 'folder', 'uid_validity', 'uid'], 'oauth2_mail_deliveries_uid_unique');
  });
}

/** Deletes the POP3 rows (the code before this migration fetches IMAP only) and restores the IMAP-only location. */
export async function down(knex: Knex): Promise<void> {
  await knex('oauth2_mail_deliveries').whereNot('uidl', '').delete();
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.unique(['account_id', 'folder', 'uid_validity', 'uid'], { indexName: 'oauth2_mail_deliveries_uid_unique' });
  });
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.dropUnique(['account_id', 'folder', 'uid_validity', 'uid', 'uidl'], 'oauth2_mail_deliveries_location_unique');
  });
  // SQLite 3.35+ drops a plain column in place (knex would copy the table, which the foreign keys refuse).
  if (knex.client.config.client === 'sqlite3') {
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['oauth2_mail_deliveries', 'uidl']);
    return;
  }
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.dropColumn('uidl');
  });
}
