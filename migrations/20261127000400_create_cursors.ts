import type { Knex } from 'knex';

/** Fetch cursors (docs/architecture.md#oauth2_mail_cursors): the last UID handed to the host per account and folder. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_cursors', (table) => {
    table.comment('Per account and folder: UIDVALIDITY and the last UID handed to the host.');
    table.integer('account_id').unsigned().notNullable().references('id').inTable('oauth2_mail_accounts').onDelete('CASCADE')
      .comment('Account fetched.');
    table.string('folder', 191).notNullable().comment('Folder fetched.');
    // UIDVALIDITY is a 32-bit unsigned value that imapflow returns as a bigint: kept as its decimal string.
    table.string('uid_validity', 20).notNullable().comment('UIDVALIDITY as a decimal string.');
    table.bigInteger('last_uid').notNullable().comment('Highest UID handed to the host.');
    table.bigInteger('updated_at').notNullable().comment('Epoch ms.');
    table.primary(['account_id', 'folder']);
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_cursors');
}
