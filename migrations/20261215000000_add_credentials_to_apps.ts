import type { Knex } from 'knex';

/**
 * How an app registration proves itself (docs/architecture.md#oauth2_mail_apps): a client secret as before, a
 * certificate whose key signs client assertions, or a Google service account's key (JWT bearer grant); plus the
 * scope of app tokens, an explicit device authorization endpoint, the Entra service principal for the Exchange
 * PowerShell lines, and which credential expiry warning was last sent. Existing apps keep their client secret.
 * `client_secret_sealed` stays NOT NULL (changing it would rebuild the table on SQLite): apps without a secret
 * store an empty string there.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    table
      .string('credential_type', 32)
      .notNullable()
      .defaultTo('client_secret')
      .comment('client_secret | certificate | service_account.');
    table.text('certificate_pem').nullable().comment('Certificate credential: the certificate (public part), PEM.');
    table.bigInteger('certificate_expires_at').nullable().comment("The certificate's notAfter, epoch ms.");
    table.string('assertion_algorithm', 8).nullable().comment('Certificate credential: RS256 | PS256.');
    table
      .text('private_key_sealed')
      .nullable()
      .comment('Private key of the certificate or the service account, sealed by the host secrets service.');
    table.string('service_account_email', 320).nullable().comment('Service account: client_email of its key file.');
    table.string('service_account_key_id', 191).nullable().comment('Service account: private_key_id of its key file.');
    table.text('service_account_token_url').nullable().comment('Service account: token_uri of its key file.');
    table.text('app_token_scope').nullable().comment('Scope of app-only and service-account tokens; null = default.');
    table.text('device_authorization_url').nullable().comment('Explicit RFC 8628 device authorization endpoint.');
    table.string('service_principal_id', 64).nullable().comment('Entra: object id of the Enterprise application.');
    table
      .string('credential_warning', 64)
      .nullable()
      .comment('The last credential expiry warning sent: <expires at>:<30 | 7 | expired>.');
  });
}

export async function down(knex: Knex): Promise<void> {
  const columns = [
    'credential_warning',
    'service_principal_id',
    'device_authorization_url',
    'app_token_scope',
    'service_account_token_url',
    'service_account_key_id',
    'service_account_email',
    'private_key_sealed',
    'assertion_algorithm',
    'certificate_expires_at',
    'certificate_pem',
    'credential_type',
  ];
  // knex drops a SQLite column by copying the table and dropping the original, which the accounts' foreign keys
  // refuse while rows exist (the migration's transaction keeps PRAGMA foreign_keys from being switched off);
  // SQLite 3.35+ drops a plain column in place.
  if (knex.client.config.client === 'sqlite3') {
    for (const column of columns) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['oauth2_mail_apps', column]);
    return;
  }
  await knex.schema.alterTable('oauth2_mail_apps', (table) => {
    for (const column of columns) table.dropColumn(column);
  });
}
