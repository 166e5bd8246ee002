import type { Knex } from 'knex';

/**
 * Mail accounts (docs/architecture.md#oauth2_mail_accounts), including the poll lease that keeps two host processes
 * off one account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_accounts', (table) => {
    table.comment('Mailboxes the oauth2-mail plugin fetches from.');
    table.increments('id').primary();
    table.integer('app_id').unsigned().notNullable().references('id').inTable('oauth2_mail_apps').onDelete('RESTRICT')
      .comment('The app registration used to sign in; an app cannot be deleted while accounts use it.');
    table.string('mailbox', 320).notNullable().comment('Mailbox address: the SASL user.');
    table.string('auth_mode', 32).notNullable().comment('delegated (app-only later).');
    table.string('protocol', 16).notNullable().comment('imap.');
    table.string('host', 255).notNullable().comment('Mail server host name.');
    table.integer('port').notNullable().comment('Mail server port.');
    table.string('tls', 16).notNullable().comment('implicit | starttls | none.');
    table.string('folder', 191).notNullable().comment('Folder fetched from.');
    table.string('initial_sync', 16).notNullable().comment('unseen | all | new_only.');
    table.string('post_fetch', 255).notNullable().comment('mark_seen | keep | delete | move:<folder>.');
    table.integer('poll_interval_s').notNullable().comment('Seconds between polls.');
    table.boolean('shared_via_delegate').notNullable().defaultTo(false).comment('Shared mailbox reached through a delegate token.');
    table.boolean('enabled').notNullable().defaultTo(true).comment('Disabled accounts are never polled.');
    table.string('status', 32).notNullable().comment('not_connected | connected | needs_reauth | app_error | retrying | disabled.');
    table.string('status_code', 64).nullable().comment('The PluginErrorCode behind a non-connected status.');
    table.text('status_detail').nullable().comment('Secret-free words for the admin.');
    table.string('authorized_identity', 320).nullable().comment('Who signed in at the provider.');
    table.bigInteger('last_poll_at').nullable().comment('Epoch ms.');
    table.bigInteger('last_success_at').nullable().comment('Epoch ms.');
    table.bigInteger('next_poll_at').nullable().comment('Epoch ms; null = due now.');
    table.integer('failure_count').notNullable().defaultTo(0).comment('Consecutive failed polls.');
    table.bigInteger('messages_fetched').notNullable().defaultTo(0).comment('Messages handed to the host so far.');
    table.string('lease_owner', 191).nullable().comment('Process holding the poll lease.');
    table.bigInteger('lease_until').nullable().comment('Poll lease expiry, epoch ms.');
    table.bigInteger('created_at').notNullable().comment('Epoch ms.');
    table.bigInteger('updated_at').notNullable().comment('Epoch ms.');
    table.index(['enabled', 'next_poll_at'], 'oauth2_mail_accounts_due_idx');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_accounts');
}
