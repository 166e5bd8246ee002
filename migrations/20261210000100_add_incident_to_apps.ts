import type { Knex } from 'knex';

/**
 * An app-level incident (docs/architecture.md#failure-semantics): the provider refused the app registration itself
 * (client secret, tenant ...). It is recorded once on the app, opened by the first refused token request and closed
 * by the next one that succeeds. Accounts that were never connected no longer take the app's error: those an earlier
 * version set to app_error are not connected again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    table.string('incident_code', 64).nullable().comment('Error code of the open app incident; NULL: none.');
    table.text('incident_detail').nullable().comment('Secret-free words of the open app incident.');
    table.bigInteger('incident_since').nullable().comment('Epoch ms: when the open app incident began.');
  });
  await knex('oauth2_mail_accounts')
    .where('status', 'app_error')
    .whereNotExists(
      knex('oauth2_mail_tokens').select('account_id').where('account_id', knex.ref('oauth2_mail_accounts.id')),
    )
    .update({ status: 'not_connected', status_code: null, status_detail: null });
}

export async function down(knex: Knex): Promise<void> {
  const columns = ['incident_since', 'incident_detail', 'incident_code'];
  // knex drops a SQLite column by copying the table and dropping the original, which the accounts' foreign keys
  // refuse while rows exist (the migration's transaction keeps PRAGMA foreign_keys from being switched off);
  // SQLite 3.35+ drops a plain column in place.
  if (knex.client.config.client === 'sqlite3') {
    for (const column of columns) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['oauth2_mail_apps', column]);
    return;
  }
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    for (const column of columns) table.dropColumn(column);
  });
}
