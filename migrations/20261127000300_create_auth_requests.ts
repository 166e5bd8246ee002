import type { Knex } from 'knex';

/**
 * Pending authorization requests (docs/architecture.md#oauth2_mail_auth_requests): only the sha256 of `state` is
 * stored; single use.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_auth_requests', (table) => {
    table.comment('Connect flows in progress: hashed state, sealed PKCE verifier, single use.');
    table.specificType('state_hash', 'char(64)').notNullable().primary().comment('Hex sha256 of the OAuth2 state.');
    table.integer('account_id').unsigned().notNullable().references('id').inTable('oauth2_mail_accounts').onDelete('CASCADE')
      .comment('Account being connected.');
    table.string('actor_id', 191).notNullable().comment('Admin who started the flow.');
    table.text('verifier_sealed').notNullable().comment('Sealed PKCE code verifier; never plaintext.');
    table.string('nonce', 191).notNullable().comment('OIDC nonce.');
    table.text('redirect_uri').notNullable().comment('Exact redirect URI sent to the provider.');
    table.bigInteger('created_at').notNullable().comment('Epoch ms.');
    table.bigInteger('expires_at').notNullable().comment('Epoch ms.');
    table.bigInteger('consumed_at').nullable().comment('When the callback used it, epoch ms.');
    table.index(['expires_at'], 'oauth2_mail_auth_requests_expires_idx');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_auth_requests');
}
