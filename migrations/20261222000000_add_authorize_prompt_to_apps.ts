import type { Knex } from 'knex';

/**
 * A generic provider's `prompt` at Connect (e.g. `select_account`), so the admin can choose the account at the
 * provider instead of silently reusing the identity signed in there. Microsoft and Google always ask; NULL: no prompt.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    table.string('authorize_prompt', 100).nullable().comment('Generic providers: prompt of the authorization request.');
  });
}

export async function down(knex: Knex): Promise<void> {
  // SQLite 3.35+ drops a plain column in place (knex would copy the table, which the accounts' foreign keys refuse).
  if (knex.client.config.client === 'sqlite3') {
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['oauth2_mail_apps', 'authorize_prompt']);
    return;
  }
  await knex.schema.alterTable('oauth2_mail_apps', (table) => table.dropColumn('authorize_prompt'));
}
