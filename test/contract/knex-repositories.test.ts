import type { Knex } from 'knex';
import { createKnex } from '../../host/create-knex';
import type { Clock } from '../../plugin/ports/clock';
import type { SecretsPort } from '../../plugin/ports/host';
import { withDatabaseErrors } from '../../adapters/knex/database-errors';
import { KnexMailLedger } from '../../adapters/knex/knex-mail-ledger';
import { createKnexRepositories } from '../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../adapters/knex/migration-source';
import { TABLES } from '../../adapters/knex/rows';
import { sqliteConnectionConfig } from '../../host/sqlite-connection';
import { testDatabases, type TestDatabase, type TestDatabaseProvider } from '../helpers/databases';
import { ManualClock } from '../helpers/manual-clock';
import { createTestSecrets } from '../helpers/test-secrets';
import { accountRepositoryContract } from './account-repository.contract';
import { appRepositoryContract } from './app-repository.contract';
import { authRequestRepositoryContract } from './auth-request-repository.contract';
import { eventLogContract } from './event-log.contract';
import { mailLedgerContract } from './mail-ledger.contract';
import { accountInput, appInput, type Repositories, type RepositoryContractTarget } from './repository-contract-target';
import { tokenRepositoryContract } from './token-repository.contract';

/** Children before parents, so foreign keys never object. */
const WIPE_ORDER = [
  TABLES.events,
  TABLES.deliveries,
  TABLES.cursors,
  TABLES.authRequests,
  TABLES.tokens,
  TABLES.accounts,
  TABLES.apps,
];

async function dumpAllRows(knex: Knex): Promise<string> {
  const dump: Record<string, unknown[]> = {};
  for (const table of WIPE_ORDER) dump[table] = await knex(table).select('*');
  return JSON.stringify(dump);
}

/** The knex repositories and ledger over one connection. */
function knexRepositories(knex: Knex, secrets: SecretsPort, clock: Clock): Repositories {
  return { ...createKnexRepositories({ knex, secrets, clock }), ledger: new KnexMailLedger({ knex, clock }) };
}

/** One migrated database per provider for the whole file, wiped before each test; peers are extra connections to it. */
function knexTarget(provider: TestDatabaseProvider, state: { db?: TestDatabase }): RepositoryContractTarget {
  const secrets = createTestSecrets();
  const peerConnections: Knex[] = [];
  beforeAll(async () => {
    state.db = await provider.create();
    await migrateLatest(state.db.knex);
  });
  afterAll(async () => {
    await Promise.all(peerConnections.map((k) => k.destroy()));
    await state.db?.destroy();
  });
  return {
    async fresh(clock) {
      const knex = state.db!.knex;
      for (const table of WIPE_ORDER) await knex(table).del();
      return knexRepositories(knex, secrets, clock);
    },
    async peers(count, clock) {
      while (peerConnections.length < count) peerConnections.push(createKnex(state.db!.url));
      return peerConnections.slice(0, count).map((knex) => knexRepositories(knex, secrets, clock));
    },
    async makeLegacyDelivery(_repos, deliveryId, legacyKey) {
      await state
        .db!.knex(TABLES.deliveries)
        .where({ id: Number(deliveryId) })
        .update({ message_key: legacyKey, message_key_rule: 'legacy' });
    },
  };
}

describe.each(testDatabases())('knex repositories on $name', (provider) => {
  const state: { db?: TestDatabase } = {};
  const target = knexTarget(provider, state);

  appRepositoryContract(target);
  accountRepositoryContract(target);
  tokenRepositoryContract(target);
  authRequestRepositoryContract(target);
  eventLogContract(target);
  mailLedgerContract(target);

  it('never writes a token, client secret or PKCE verifier in plain text', async () => {
    const repos = await target.fresh(new ManualClock());
    const app = await repos.apps.create(appInput({ clientSecret: 'SECRET-client-4f1c' }));
    await repos.apps.update(app.id, { ...appInput(), clientSecret: 'SECRET-rotated-77aa' });
    const account = await repos.accounts.create(accountInput(app.id));
    await repos.tokens.replace(account.id, {
      accessToken: 'SECRET-access-1b2c',
      accessTokenExpiresAt: 1,
      refreshToken: 'SECRET-refresh-3d4e',
      scope: null,
      at: 1,
    });
    await repos.tokens.compareAndSwap(account.id, 1, {
      accessToken: 'SECRET-access-5f6a',
      accessTokenExpiresAt: 2,
      refreshToken: 'SECRET-refresh-7b8c',
      scope: null,
      at: 2,
    });
    await repos.authRequests.create({
      stateHash: 'a'.repeat(64),
      accountId: account.id,
      actorId: 'admin',
      codeVerifier: 'SECRET-verifier-9d0e',
      nonce: 'n',
      redirectUri: 'https://h.example/cb',
      createdAt: 1,
      expiresAt: 2,
    });
    const keyed = await repos.apps.create(
      appInput({ clientSecret: '', credentialType: 'certificate', privateKey: 'SECRET-private-key-6c5d' }),
    );
    const dump = await dumpAllRows(state.db!.knex);
    for (const secret of [
      'SECRET-private-key-6c5d',
      'SECRET-client-4f1c',
      'SECRET-rotated-77aa',
      'SECRET-access-1b2c',
      'SECRET-refresh-3d4e',
      'SECRET-access-5f6a',
      'SECRET-refresh-7b8c',
      'SECRET-verifier-9d0e',
    ]) {
      expect(dump).not.toContain(secret);
    }
    // The values are stored (sealed), not dropped: the repositories open them again.
    expect(await repos.apps.clientSecret(app.id)).toBe('SECRET-rotated-77aa');
    expect(await repos.apps.privateKey(keyed.id)).toBe('SECRET-private-key-6c5d');
    expect((await repos.tokens.find(account.id))?.refreshToken).toBe('SECRET-refresh-7b8c');
    expect((await repos.authRequests.find('a'.repeat(64)))?.codeVerifier).toBe('SECRET-verifier-9d0e');
  });

  it('answers ERR_SECRET_UNREADABLE when the sealing key is gone', async () => {
    const repos = await target.fresh(new ManualClock());
    const app = await repos.apps.create(appInput());
    const account = await repos.accounts.create(accountInput(app.id));
    await repos.tokens.replace(account.id, {
      accessToken: 'a',
      accessTokenExpiresAt: 1,
      refreshToken: 'r',
      scope: null,
      at: 1,
    });
    const otherKey = createKnexRepositories({ knex: state.db!.knex, secrets: createTestSecrets() });
    await expect(otherKey.tokens.find(account.id)).rejects.toMatchObject({ code: 'ERR_SECRET_UNREADABLE' });
    await expect(otherKey.apps.clientSecret(app.id)).rejects.toMatchObject({ code: 'ERR_SECRET_UNREADABLE' });
  });

  it('enforces the foreign keys in the database itself (accounts -> apps restrict, tokens cascade)', async () => {
    const repos = await target.fresh(new ManualClock());
    const app = await repos.apps.create(appInput());
    const account = await repos.accounts.create(accountInput(app.id));
    await repos.tokens.replace(account.id, {
      accessToken: 'a',
      accessTokenExpiresAt: 1,
      refreshToken: null,
      scope: null,
      at: 1,
    });
    const knex = state.db!.knex;
    await expect(
      knex(TABLES.apps)
        .where({ id: Number(app.id) })
        .del(),
    ).rejects.toThrow();
    await knex(TABLES.accounts)
      .where({ id: Number(account.id) })
      .del();
    expect(await knex(TABLES.tokens).where({ account_id: Number(account.id) })).toEqual([]);
  });
  if (provider.name !== 'sqlite') {
    it('maps a connection killed in the middle of a transaction to ERR_DATABASE_UNAVAILABLE, and recovers on the next call', async () => {
      const repos = await target.fresh(new ManualClock());
      const knex = state.db!.knex;
      const killer = createKnex(state.db!.url);
      try {
        const attempt = withDatabaseErrors(() =>
          knex.transaction(async (trx) => {
            await trx(TABLES.apps).insert({
              name: 'lost',
              provider: 'generic',
              client_id: 'c',
              client_secret_sealed: 's',
              created_at: 1,
              updated_at: 1,
            });
            if (provider.name === 'postgres') {
              const { rows } = (await trx.raw('SELECT pg_backend_pid() AS pid')) as { rows: { pid: number }[] };
              await killer.raw('SELECT pg_terminate_backend(?)', [rows[0].pid]);
            } else {
              const [rows] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [{ id: number }[]];
              await killer.raw(`KILL ${Number(rows[0].id)}`);
            }
            await trx.raw('SELECT 1');
          }),
        );
        await expect(attempt).rejects.toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE' });
        // Nothing half-written, and the pool hands out a working connection again.
        expect(await repos.apps.list()).toEqual([]);
        await repos.apps.create(appInput());
        expect(await repos.apps.list()).toHaveLength(1);
      } finally {
        await killer.destroy();
      }
    });
  }
});

describe('knex adapter failures', () => {
  it.each([
    ['PostgreSQL', 'postgres://postgres@127.0.0.1:1/none'],
    ['MySQL', 'mysql://root:pw-SECRET@127.0.0.1:1/none'],
    ['SQLite', '/nonexistent-dir-oauth2-mail/x.sqlite'],
  ])('maps an unreachable %s to ERR_DATABASE_UNAVAILABLE without the URL', async (_name, url) => {
    const knex = createKnex(url);
    try {
      const repos = createKnexRepositories({ knex, secrets: createTestSecrets() });
      const error = await repos.accounts.find('1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'PluginError', code: 'ERR_DATABASE_UNAVAILABLE' });
      expect(String((error as Error).message)).not.toContain('pw-SECRET');
      await expect(repos.tokens.acquireRefreshLease('1', 'me', 2, 1)).rejects.toMatchObject({
        code: 'ERR_DATABASE_UNAVAILABLE',
      });
    } finally {
      await knex.destroy();
    }
  });

  it('maps a destroyed pool to ERR_DATABASE_UNAVAILABLE', async () => {
    const knex = createKnex(':memory:');
    await knex.destroy();
    await expect(createKnexRepositories({ knex, secrets: createTestSecrets() }).apps.list()).rejects.toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
    });
  });

  it('refuses an unsupported database URL with ERR_INPUT_INVALID and never echoes it', () => {
    let error: unknown;
    try {
      createKnex('mongodb://admin:pw-SECRET@db.example/x');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((error as Error).message).toContain('mongodb:');
    expect((error as Error).message).not.toContain('pw-SECRET');
    expect(() => createKnex('  ')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });

  it('opens SQLite connections with WAL, a busy timeout and foreign keys on', async () => {
    const db = await testDatabases()[0].create();
    try {
      const pragma = async (name: string): Promise<unknown> =>
        Object.values(((await db.knex.raw(`PRAGMA ${name}`)) as Record<string, unknown>[])[0])[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(sqliteConnectionConfig(db.url)).toMatchObject({ client: 'sqlite3', useNullAsDefault: true });
    } finally {
      await db.destroy();
    }
  });
});
