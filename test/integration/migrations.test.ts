import { createKnex } from '../../host/create-knex';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import {
  migrationConfig,
  MIGRATIONS_TABLE,
  migrateLatest,
  pendingMigrations,
  rollbackAll,
} from '../../adapters/knex/migration-source';
import { migrations } from '../../migrations/index';
import * as addIncidentToApps from '../../migrations/20261210000100_add_incident_to_apps';
import * as recountMessagesFetched from '../../migrations/20261210000000_recount_messages_fetched';
import { testDatabases, type TestDatabase } from '../helpers/databases';

const PLUGIN_TABLES = [
  'oauth2_mail_apps',
  'oauth2_mail_accounts',
  'oauth2_mail_tokens',
  'oauth2_mail_auth_requests',
  'oauth2_mail_cursors',
  'oauth2_mail_deliveries',
  'oauth2_mail_events',
];
const NAMES = migrations.map((m) => m.name);

async function insertApp(db: TestDatabase): Promise<number> {
  return Number(
    await insertReturningId(db.knex, 'oauth2_mail_apps', {
      name: 'n',
      provider: 'generic',
      client_id: 'c',
      client_secret_sealed: 's',
      created_at: 1,
      updated_at: 1,
    }),
  );
}

async function insertAccount(db: TestDatabase, appId: number, columns: Record<string, unknown>): Promise<number> {
  return Number(
    await insertReturningId(db.knex, 'oauth2_mail_accounts', {
      app_id: appId,
      mailbox: 'a@example.org',
      auth_mode: 'delegated',
      protocol: 'imap',
      host: 'h',
      port: 993,
      tls: 'implicit',
      folder: 'INBOX',
      initial_sync: 'unseen',
      post_fetch: 'keep',
      poll_interval_s: 60,
      status: 'connected',
      created_at: 1,
      updated_at: 1,
      ...columns,
    }),
  );
}

/** Empties the plugin tables, children first. */
async function wipe(db: TestDatabase): Promise<void> {
  for (const table of [...PLUGIN_TABLES].reverse()) await db.knex(table).del();
}

async function existing(db: TestDatabase, tables: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) if (await db.knex.schema.hasTable(table)) found.push(table);
  return found;
}

describe.each(testDatabases())('migrations on $name', (provider) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provider.create();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('applies every migration in order, rolls all back, and applies them again', async () => {
    expect(await existing(db, PLUGIN_TABLES)).toEqual([]);
    expect(await pendingMigrations(db.knex)).toEqual(NAMES);

    expect(await migrateLatest(db.knex)).toEqual(NAMES);
    expect(await existing(db, PLUGIN_TABLES)).toEqual(PLUGIN_TABLES);
    expect(await existing(db, [MIGRATIONS_TABLE, `${MIGRATIONS_TABLE}_lock`, 'knex_migrations'])).toEqual([
      MIGRATIONS_TABLE,
      `${MIGRATIONS_TABLE}_lock`,
    ]);
    expect(await pendingMigrations(db.knex)).toEqual([]);
    expect(await migrateLatest(db.knex)).toEqual([]);

    expect(await rollbackAll(db.knex)).toEqual([...NAMES].reverse());
    expect(await existing(db, PLUGIN_TABLES)).toEqual([]);

    expect(await migrateLatest(db.knex)).toEqual(NAMES);
    expect(await existing(db, PLUGIN_TABLES)).toEqual(PLUGIN_TABLES);
  });

  it('stores epoch-ms timestamps and 32-bit-unsigned UIDVALIDITY values without loss', async () => {
    const at = 4_102_444_800_123; // 2100-01-01, far above 2^32
    const appId = Number(
      await insertReturningId(db.knex, 'oauth2_mail_apps', {
        name: 'n',
        provider: 'generic',
        client_id: 'c',
        client_secret_sealed: 's',
        created_at: at,
        updated_at: at,
      }),
    );
    const accountId = Number(
      await insertReturningId(db.knex, 'oauth2_mail_accounts', {
        app_id: appId,
        mailbox: 'a@example.org',
        auth_mode: 'delegated',
        protocol: 'imap',
        host: 'h',
        port: 993,
        tls: 'implicit',
        folder: 'INBOX',
        initial_sync: 'unseen',
        post_fetch: 'keep',
        poll_interval_s: 60,
        status: 'not_connected',
        created_at: at,
        updated_at: at,
      }),
    );
    await db.knex('oauth2_mail_cursors').insert({
      account_id: accountId,
      folder: 'INBOX',
      uid_validity: '4294967295',
      last_uid: 4_294_967_295,
      updated_at: at,
    });
    const cursor = await db.knex('oauth2_mail_cursors').where({ account_id: accountId }).first();
    expect(String(cursor.uid_validity)).toBe('4294967295');
    expect(Number(cursor.last_uid)).toBe(4_294_967_295);
    expect(Number(cursor.updated_at)).toBe(at);
    const stored = await db.knex('oauth2_mail_apps').where({ id: appId }).first();
    expect(Number(stored.created_at)).toBe(at);
    await db.knex('oauth2_mail_accounts').del();
    await db.knex('oauth2_mail_apps').del();
  });

  it('marks the deliveries of an existing database as legacy-key rows, and rolls that back keeping them', async () => {
    await wipe(db);
    await rollbackAll(db.knex);
    const before = migrations.findIndex((m) => m.name === '20261201000200_deliveries_message_key_rule');
    for (let i = 0; i < before; i++) await db.knex.migrate.up(migrationConfig);
    expect(await pendingMigrations(db.knex)).toEqual(NAMES.slice(before));
    const appId = await insertReturningId(db.knex, 'oauth2_mail_apps', {
      name: 'n',
      provider: 'generic',
      client_id: 'c',
      client_secret_sealed: 's',
      created_at: 1,
      updated_at: 1,
    });
    const accountId = await insertReturningId(db.knex, 'oauth2_mail_accounts', {
      app_id: Number(appId),
      mailbox: 'a@example.org',
      auth_mode: 'delegated',
      protocol: 'imap',
      host: 'h',
      port: 993,
      tls: 'implicit',
      folder: 'INBOX',
      initial_sync: 'unseen',
      post_fetch: 'keep',
      poll_interval_s: 60,
      status: 'not_connected',
      created_at: 1,
      updated_at: 1,
    });
    const delivery = {
      account_id: Number(accountId),
      folder: 'INBOX',
      uid_validity: '7',
      uid: 1,
      message_key: 'a'.repeat(64),
      dedupe_key: `${accountId}:${'a'.repeat(64)}`,
      ticket_id: 't-1',
      state: 'post_action_done',
      attempts: 1,
      size: 10,
      created_at: 1,
      updated_at: 1,
    };
    await db.knex('oauth2_mail_deliveries').insert(delivery);
    expect(await migrateLatest(db.knex)).toEqual(NAMES.slice(before));
    expect(await db.knex('oauth2_mail_deliveries').select('message_key', 'message_key_rule')).toEqual([
      { message_key: 'a'.repeat(64), message_key_rule: 'legacy' },
    ]);
    // Back to just before the key rule migration (the ones after it first).
    for (let i = NAMES.length; i > before; i--) await db.knex.migrate.down(migrationConfig);
    expect(await db.knex.schema.hasColumn('oauth2_mail_deliveries', 'message_key_rule')).toBe(false);
    expect(await db.knex('oauth2_mail_deliveries').select('uid', 'ticket_id')).toEqual([
      { uid: expect.anything(), ticket_id: 't-1' },
    ]);
    await migrateLatest(db.knex);
    await wipe(db);
  });

  it('recounts messages_fetched from the ledger: the tickets made from each account', async () => {
    await migrateLatest(db.knex);
    const appId = await insertApp(db);
    const busy = await insertAccount(db, appId, { messages_fetched: 1 });
    const idle = await insertAccount(db, appId, { messages_fetched: 0 });
    const delivery = (uid: number, state: string, ticket: string | null) => ({
      account_id: busy,
      folder: 'INBOX',
      uid_validity: '1',
      uid,
      message_key: String(uid).padStart(64, '0'),
      dedupe_key: `${busy}:${uid}`,
      ticket_id: ticket,
      state,
      size: 10,
      created_at: 1,
      updated_at: 1,
    });
    await db.knex('oauth2_mail_deliveries').insert([
      delivery(1, 'post_action_done', 't1'),
      delivery(2, 'ingested', 't2'),
      delivery(3, 'post_action_done', 't3'),
      // the same ticket found again after a UIDVALIDITY change, a message refused, one too large
      { ...delivery(4, 'post_action_done', 't1'), uid_validity: '2' },
      delivery(5, 'pending', null),
      delivery(6, 'skipped', null),
    ]);
    await recountMessagesFetched.up(db.knex);
    const counts = (await db.knex('oauth2_mail_accounts').select('id', 'messages_fetched').orderBy('id')) as {
      id: number;
      messages_fetched: number | string;
    }[];
    expect(counts.map((row) => Number(row.messages_fetched))).toEqual([3, 0]);
    expect(counts.map((row) => Number(row.id))).toEqual([busy, idle]);
    await wipe(db);
  });

  it('adding app incidents puts never-connected accounts an earlier version set to app_error back to not connected', async () => {
    await migrateLatest(db.knex);
    const appId = await insertApp(db);
    const stuck = await insertAccount(db, appId, { status: 'app_error', status_code: 'ERR_CLIENT_INVALID' });
    const connected = await insertAccount(db, appId, { status: 'app_error', status_code: 'ERR_CLIENT_INVALID' });
    await db.knex('oauth2_mail_tokens').insert({
      account_id: connected,
      access_token_sealed: 'a',
      access_expires_at: 1,
      version: 1,
      obtained_at: 1,
      refreshed_at: 1,
    });
    await db.knex.schema.alterTable('oauth2_mail_apps', (table) => {
      table.dropColumn('incident_since');
      table.dropColumn('incident_detail');
      table.dropColumn('incident_code');
    });
    await addIncidentToApps.up(db.knex);
    const rows = (await db.knex('oauth2_mail_accounts').select('id', 'status', 'status_code').orderBy('id')) as {
      id: number;
      status: string;
      status_code: string | null;
    }[];
    expect(rows.map((row) => ({ ...row, id: Number(row.id) }))).toEqual([
      { id: stuck, status: 'not_connected', status_code: null },
      { id: connected, status: 'app_error', status_code: 'ERR_CLIENT_INVALID' },
    ]);
    expect(await db.knex('oauth2_mail_apps').first('incident_code')).toEqual({ incident_code: null });
    await wipe(db);
  });

  it('rolls every migration back and forth with accounts and their deliveries present (SQLite drops columns in place)', async () => {
    await migrateLatest(db.knex);
    const appId = await insertApp(db);
    const accountId = await insertAccount(db, appId, {});
    await db.knex('oauth2_mail_deliveries').insert({
      account_id: accountId,
      folder: 'INBOX',
      uid_validity: '1',
      uid: 1,
      message_key: '0'.repeat(64),
      dedupe_key: `${accountId}:0`,
      ticket_id: 't1',
      state: 'ingested',
      size: 10,
      created_at: 1,
      updated_at: 1,
    });
    const sending = NAMES.indexOf('20261201000100_add_sending_to_accounts');
    for (let i = NAMES.length; i > sending; i--) await db.knex.migrate.down(migrationConfig);
    expect(await db.knex.schema.hasColumn('oauth2_mail_accounts', 'smtp_enabled')).toBe(false);
    expect(Number((await db.knex('oauth2_mail_deliveries').count({ n: '*' }))[0]!.n)).toBe(1);
    expect(Number((await db.knex('oauth2_mail_accounts').count({ n: '*' }))[0]!.n)).toBe(1);
    await migrateLatest(db.knex);
    expect(await db.knex.schema.hasColumn('oauth2_mail_accounts', 'smtp_enabled')).toBe(true);
    await wipe(db);
  });

  it('lets several connections migrate a fresh database at the same time: one applies, the others find nothing to do', async () => {
    await rollbackAll(db.knex);
    const peers = [createKnex(db.url), createKnex(db.url), createKnex(db.url)];
    try {
      const results = await Promise.all(peers.map((peer) => migrateLatest(peer)));
      expect(results.flat()).toEqual(NAMES);
      expect(results.filter((r) => r.length > 0)).toHaveLength(1);
      expect(await existing(db, PLUGIN_TABLES)).toEqual(PLUGIN_TABLES);
      expect(await pendingMigrations(db.knex)).toEqual([]);
    } finally {
      await Promise.all(peers.map((peer) => peer.destroy()));
    }
  });
});
