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
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    table.dropColumn('incident_since');
    table.dropColumn('incident_detail');
    table.dropColumn('incident_code');
  });
}
