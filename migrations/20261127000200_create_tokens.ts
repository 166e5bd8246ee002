import type { Knex } from 'knex';

/**
 * Sealed tokens of an account (docs/architecture.md#oauth2_mail_tokens), with the compare-and-swap version and the
 * refresh lease.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_tokens', (table) => {
    table.comment('OAuth2 tokens of a mail account, sealed by the host secrets service.');
    table.integer('account_id').unsigned().notNullable().primary().references('id').inTable('oauth2_mail_accounts').onDelete('CASCADE')
      .comment('One token set per account.');
    table.text('access_token_sealed').notNullable().comment('Sealed access token; never plaintext.');
    table.bigInteger('access_expires_at').notNullable().comment('Access token expiry, epoch ms.');
    table.text('refresh_token_sealed').nullable().comment('Sealed refresh token; never plaintext.');
    table.text('scope').nullable().comment('Scope the provider granted.');
    table.integer('version').notNullable().comment('Incremented by every write: the compare-and-swap guard.');
    table.bigInteger('obtained_at').notNullable().comment('When the grant was obtained, epoch ms.');
    table.bigInteger('refreshed_at').notNullable().comment('Last successful refresh or the grant, epoch ms.');
    table.string('lease_owner', 191).nullable().comment('Process holding the refresh lease.');
    table.bigInteger('lease_until').nullable().comment('Refresh lease expiry, epoch ms.');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_tokens');
}
