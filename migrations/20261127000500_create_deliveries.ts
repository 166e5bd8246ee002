import type { Knex } from 'knex';

/**
 * The delivery ledger (docs/architecture.md#oauth2_mail_deliveries): one row per fetched message, so none is lost or
 * duplicated.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_deliveries', (table) => {
    table.comment('Ledger of fetched messages and what became of them.');
    table.increments('id').primary();
    table.integer('account_id').unsigned().notNullable().references('id').inTable('oauth2_mail_accounts').onDelete('CASCADE')
      .comment('Account fetched.');
    table.string('folder', 191).notNullable().comment('Folder fetched.');
    table.string('uid_validity', 20).notNullable().comment('UIDVALIDITY as a decimal string.');
    table.bigInteger('uid').notNullable().comment('IMAP UID within uid_validity.');
    table.specificType('message_key', 'char(64)').notNullable().comment('Hex sha256 of Message-ID + date + size: survives a UIDVALIDITY change.');
    table.string('dedupe_key', 191).notNullable().comment('Idempotency key handed to the host.');
    table.string('ticket_id', 191).nullable().comment('What the host made of it.');
    table.string('state', 32).notNullable().comment('ingested | post_action_done | skipped | quarantined | pending.');
    table.integer('attempts').notNullable().defaultTo(0).comment('Ingest attempts so far.');
    table.text('last_error').nullable().comment('Secret-free reason of the last failure.');
    table.bigInteger('size').notNullable().comment('Message size in bytes.');
    table.bigInteger('created_at').notNullable().comment('Epoch ms.');
    table.bigInteger('updated_at').notNullable().comment('Epoch ms.');
    table.unique(['account_id', 'folder', 'uid_validity', 'uid'], { indexName: 'oauth2_mail_deliveries_uid_unique' });
    table.index(['account_id', 'message_key'], 'oauth2_mail_deliveries_message_key_idx');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_deliveries');
}
