import type { Knex } from 'knex';

/**
 * Sending replies through a mail account (docs/architecture.md#oauth2_mail_accounts): SMTP submission with the
 * account's token. Off for existing accounts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_accounts', (table) => {
    table.boolean('smtp_enabled').notNullable().defaultTo(false).comment('Replies may be sent through this account.');
    table.string('smtp_host', 255).nullable().comment('SMTP submission host (set when sending is on).');
    table.integer('smtp_port').nullable().comment('SMTP submission port.');
    table.string('smtp_tls', 16).nullable().comment('implicit | starttls | none.');
    table.string('smtp_from', 320).nullable().comment('From address of replies; NULL: the mailbox.');
  });
}

export async function down(knex: Knex): Promise<void> {
  const columns = ['smtp_from', 'smtp_tls', 'smtp_port', 'smtp_host', 'smtp_enabled'];
  // knex drops a SQLite column by copying the table and dropping the original, which the foreign keys of tokens,
  // cursors and deliveries refuse while rows exist (the migration's transaction keeps PRAGMA foreign_keys from
  // being switched off); SQLite 3.35+ drops a plain column in place.
  if (knex.client.config.client === 'sqlite3') {
    for (const column of columns) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['oauth2_mail_accounts', column]);
    return;
  }
  await knex.schema.alterTable('oauth2_mail_accounts', (table) => {
    for (const column of columns) table.dropColumn(column);
  });
}
