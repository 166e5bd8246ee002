import type { Knex } from 'knex';

/** The audit trail (docs/architecture.md#oauth2_mail_events): never a token value. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_events', (table) => {
    table.comment('Audit trail of the oauth2-mail plugin; never holds a token or secret.');
    table.increments('id').primary();
    table.bigInteger('at').notNullable().comment('Epoch ms.');
    table.string('type', 64).notNullable().comment('Event kind, e.g. token_refreshed.');
    // No foreign keys: the history of a removed account or app must survive it.
    table.integer('account_id').unsigned().nullable().comment('Account concerned, if any.');
    table.integer('app_id').unsigned().nullable().comment('App registration concerned, if any.');
    table.string('actor_id', 191).nullable().comment('Admin who caused it, if any.');
    table.string('code', 64).nullable().comment('PluginErrorCode of a failure.');
    table.text('message').notNullable().comment('Secret-free words.');
    table.index(['account_id', 'at'], 'oauth2_mail_events_account_idx');
    table.index(['app_id', 'at'], 'oauth2_mail_events_app_idx');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_events');
}
