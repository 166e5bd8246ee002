import type { Knex } from 'knex';

/** OAuth2 app registrations (docs/architecture.md#oauth2_mail_apps); many accounts share one. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oauth2_mail_apps', (table) => {
    table.comment('OAuth2 app registrations of the oauth2-mail plugin; many mail accounts share one.');
    table.increments('id').primary();
    table.string('name', 191).notNullable().comment('Name the admin gave the registration.');
    table.string('provider', 32).notNullable().comment('microsoft | google | generic.');
    table.string('cloud', 16).nullable().comment('Microsoft national cloud: global | usgov | china.');
    table.string('tenant', 191).nullable().comment('Microsoft tenant: GUID, domain, organizations, common or consumers.');
    table.text('issuer_url').nullable().comment('Generic provider: issuer for OIDC discovery.');
    table.text('authorize_url').nullable().comment('Explicit authorization endpoint.');
    table.text('token_url').nullable().comment('Explicit token endpoint.');
    table.text('revocation_url').nullable().comment('Explicit revocation endpoint.');
    table.text('userinfo_url').nullable().comment('Explicit userinfo endpoint.');
    table.string('client_id', 255).notNullable().comment('OAuth2 client id.');
    table.text('client_secret_sealed').notNullable().comment('Client secret sealed by the host secrets service; never plaintext.');
    table.bigInteger('secret_expires_at').nullable().comment('When the client secret expires, epoch ms.');
    table.text('scopes').nullable().comment('Space-separated scope override; null = provider default.');
    table.bigInteger('created_at').notNullable().comment('Epoch ms.');
    table.bigInteger('updated_at').notNullable().comment('Epoch ms.');
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oauth2_mail_apps');
}
