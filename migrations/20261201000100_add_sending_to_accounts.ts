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
  await knex.schema.alterTable('oauth2_mail_accounts', (table) => {
    table.dropColumn('smtp_from');
    table.dropColumn('smtp_tls');
    table.dropColumn('smtp_port');
    table.dropColumn('smtp_host');
    table.dropColumn('smtp_enabled');
  });
}
