/**
 * The reference host's own tables (`host_*`), with their own knex migrations table so they never
 * mix with a plugin's migrations. Migrations are listed in code: nothing is read from disk.
 */
import type { Knex } from 'knex';

/** The host's knex migrations table. */
export const HOST_MIGRATIONS_TABLE = 'host_knex_migrations';

interface HostMigration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

function isMysql(knex: Knex): boolean {
  const client = String(knex.client.config.client ?? '');
  return client === 'mysql' || client === 'mysql2';
}

const initial: HostMigration = {
  name: '20260101000000_host_initial',
  async up(knex) {
    await knex.schema.createTable('host_users', (table) => {
      table.comment('Helpdesk users who sign in to the web admin');
      table.increments('id').primary();
      table.string('email', 320).notNullable().unique().comment('Sign-in name, lower case');
      table.string('role', 16).notNullable().comment('admin | agent');
      table.string('password_hash', 255).notNullable().comment('scrypt$N$r$p$salt$hash');
      table.bigInteger('created_at').notNullable().comment('epoch ms');
    });
    await knex.schema.createTable('host_sessions', (table) => {
      table.comment('Web sessions; only the sha256 of the cookie value is stored');
      table.string('id', 64).primary().comment('sha256 hex of the sid cookie');
      table.integer('user_id').unsigned().notNullable().references('id').inTable('host_users').onDelete('CASCADE');
      table.string('csrf_token', 64).notNullable().comment('Per-session CSRF token');
      table.bigInteger('created_at').notNullable().comment('epoch ms');
      table.bigInteger('expires_at').notNullable().index().comment('epoch ms');
    });
    await knex.schema.createTable('host_tickets', (table) => {
      table.comment('Tickets created from ingested mail');
      table.increments('id').primary();
      table.string('account_id', 64).notNullable().index().comment('Plugin mail account the message came from');
      table.string('dedupe_key', 255).notNullable().unique().comment('Idempotency key of the ingest');
      table.string('source_id', 128).notNullable().comment('Mail source contribution id');
      table.text('message_id').nullable().comment('Message-ID header');
      table.text('subject').nullable();
      table.text('from_address').nullable().comment('From header as text');
      table.integer('size').notNullable().comment('bytes');
      table.string('sha256', 64).notNullable().comment('sha256 hex of the raw message');
      if (isMysql(knex)) table.specificType('raw', 'LONGBLOB').notNullable().comment('The raw RFC 5322 message');
      else table.binary('raw').notNullable().comment('The raw RFC 5322 message');
      table.bigInteger('received_at').notNullable().comment('epoch ms');
      table.bigInteger('created_at').notNullable().comment('epoch ms');
    });
    await knex.schema.createTable('host_plugins', (table) => {
      table.comment('Installed plugins and the permissions the admin granted');
      table.string('id', 64).primary().comment('plugin.json id');
      table.string('version', 64).notNullable();
      table.text('directory').notNullable().comment('Absolute folder the plugin was installed from');
      table.text('permissions').notNullable().comment('JSON array of granted permissions');
      table.text('config').notNullable().comment('JSON object: the plugin configuration');
      table.boolean('enabled').notNullable().defaultTo(true);
      table.text('last_error').nullable().comment('Problems of the last install or activation');
      table.bigInteger('installed_at').notNullable().comment('epoch ms');
      table.bigInteger('updated_at').notNullable().comment('epoch ms');
    });
    await knex.schema.createTable('host_notifications', (table) => {
      table.comment('Admin notifications (banners); one open row per plugin and key');
      table.increments('id').primary();
      table.string('plugin_id', 64).notNullable();
      table.string('key', 191).notNullable().comment('Incident key');
      table
        .string('open_key', 191)
        .nullable()
        .comment('= key while open, NULL once resolved (keeps one open row per key)');
      table.string('severity', 16).notNullable().comment('info | warning | error');
      table.text('title').notNullable();
      table.text('message').notNullable();
      table.string('path', 512).nullable().comment('Plugin route path where the admin fixes it');
      table.integer('occurrences').notNullable().defaultTo(1);
      table.bigInteger('created_at').notNullable().comment('epoch ms');
      table.bigInteger('updated_at').notNullable().comment('epoch ms');
      table.bigInteger('resolved_at').nullable().comment('epoch ms');
      table.unique(['plugin_id', 'open_key']);
    });
  },
  async down(knex) {
    for (const name of ['host_notifications', 'host_plugins', 'host_tickets', 'host_sessions', 'host_users'])
      await knex.schema.dropTableIfExists(name);
  },
};

const signInThrottle: HostMigration = {
  name: '20260501000000_host_sign_in_throttle',
  async up(knex) {
    await knex.schema.createTable('host_sign_in_throttle', (table) => {
      table.comment('Failed sign-ins per account and per client address (host/auth/sign-in-throttle.ts)');
      table.string('id', 64).primary().comment('sha256 hex of scope and subject (e-mail as typed, or client address)');
      table.string('scope', 16).notNullable().comment('account | address');
      table.integer('failures').notNullable().comment('Failures counted for waits and the lock');
      table.bigInteger('last_failure_at').notNullable().index().comment('epoch ms');
      table.bigInteger('blocked_until').notNullable().comment('epoch ms; no attempt before');
      table.integer('unreported_failures').notNullable().defaultTo(0).comment('Since the last successful sign-in');
      table.bigInteger('unreported_since').nullable().comment('epoch ms of the first unreported failure');
    });
    await knex.schema.alterTable('host_sessions', (table) => {
      table.text('notice').nullable().comment('Shown once on the next page (e.g. failed sign-ins since …)');
    });
  },
  async down(knex) {
    await knex.schema.alterTable('host_sessions', (table) => table.dropColumn('notice'));
    await knex.schema.dropTableIfExists('host_sign_in_throttle');
  },
};

/**
 * The durable outbox (docs/architecture.md#host-tables, #outbox): a reply is committed here first, then sent by the
 * outbox worker, so nothing an agent wrote is lost when the mail server, the plugin or the process is down.
 */
const outbox: HostMigration = {
  name: '20260601000000_host_outbox',
  async up(knex) {
    await knex.schema.createTable('host_outbox', (table) => {
      table.comment('Outgoing mail: committed first, then sent through a mail transport; one row per message');
      table.increments('id').primary();
      table
        .integer('ticket_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('host_tickets')
        .onDelete('SET NULL')
        .comment('The ticket it answers, if any');
      table.string('plugin_id', 64).notNullable().comment('Plugin that registered the transport');
      table.string('transport_id', 128).notNullable().comment('Mail transport contribution id');
      table.string('account_id', 64).notNullable().comment('Plugin mail account it is sent through');
      table
        .string('message_id', 255)
        .notNullable()
        .unique()
        .comment('Message-ID with angle brackets, generated at commit; the same on every attempt');
      table.text('from_address').notNullable().comment('From address');
      table.text('to_addresses').notNullable().comment('JSON array of To addresses');
      table.text('cc_addresses').notNullable().comment('JSON array of Cc addresses');
      table.text('bcc_addresses').notNullable().comment('JSON array of Bcc addresses');
      table.text('subject').nullable();
      table.text('body_text', 'mediumtext').notNullable().comment('The text body (MEDIUMTEXT on MySQL)');
      table.text('in_reply_to').nullable().comment('Message-ID it answers');
      table.text('thread_references').notNullable().comment('JSON array: the References header, oldest first');
      table
        .integer('author_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('host_users')
        .onDelete('SET NULL')
        .comment('Host user who wrote it; NULL from the console');
      table.string('state', 16).notNullable().comment('queued | sending | sent | failed');
      table.integer('attempts').notNullable().defaultTo(0).comment('Attempts started so far');
      table.bigInteger('next_attempt_at').nullable().comment('epoch ms; when a queued row is due, NULL once final');
      table.string('lease_owner', 191).nullable().comment('host:pid:random of the process sending it');
      table.bigInteger('lease_until').nullable().comment('epoch ms; the lease lapses after this');
      table.string('last_error_code', 64).nullable().comment('Error code of the last failed attempt');
      table.text('last_error_message').nullable().comment('Its message (shown to agents)');
      table.text('response').nullable().comment("The server's final answer once sent");
      table.text('accepted').nullable().comment('JSON array of recipients the server accepted');
      table.text('rejected').nullable().comment('JSON array of recipients the server refused');
      table.bigInteger('created_at').notNullable().comment('epoch ms');
      table.bigInteger('updated_at').notNullable().comment('epoch ms');
      table.bigInteger('sent_at').nullable().comment('epoch ms');
      table.index(['state', 'next_attempt_at'], 'host_outbox_due');
      table.index(['ticket_id'], 'host_outbox_ticket');
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('host_outbox');
  },
};

const settings: HostMigration = {
  name: '20261201000000_host_settings',
  async up(knex) {
    await knex.schema.createTable('host_settings', (table) => {
      table.comment('Host-wide settings kept across restarts: the public base URL, the monitoring token hash');
      table.string('key', 64).primary();
      table.text('value').notNullable().comment('Never a secret in plain text (the monitoring token is its sha256)');
      table.bigInteger('updated_at').notNullable().comment('epoch ms');
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('host_settings');
  },
};

const MIGRATIONS: readonly HostMigration[] = [initial, signInThrottle, outbox, settings];

/** knex MigrationSource over the in-code host migrations. */
export const hostMigrationSource: Knex.MigrationSource<HostMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => ({
    up: (knex: Knex) => migration.up(knex),
    down: (knex: Knex) => migration.down(knex),
  }),
};

/**
 * Brings the host tables up to date.
 * @param knex - the host database
 */
export async function migrateHost(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource: hostMigrationSource, tableName: HOST_MIGRATIONS_TABLE });
}
