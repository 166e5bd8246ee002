import type { Knex } from 'knex';

/**
 * Which rule made a delivery's message key (docs/architecture.md#oauth2_mail_deliveries): rows written before this
 * migration are `legacy` (Message-ID + Date + size), every row written after it `content` (sha256 of the raw bytes).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table
      .string('message_key_rule', 16)
      .notNullable()
      .defaultTo('legacy')
      .comment('content (sha256 of the raw bytes) | legacy (Message-ID + Date + size, rows from before this column).');
  });
}

/**
 * Drops the column. The code before it reads every key as its own rule: after a UIDVALIDITY change it would make a
 * second ticket of a message recorded since this migration (never lose one).
 */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_deliveries', (table) => {
    table.dropColumn('message_key_rule');
  });
}
