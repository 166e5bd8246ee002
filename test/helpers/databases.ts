import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../../host/create-knex';

/** The databases the suites run on. */
export type TestDatabaseName = 'sqlite' | 'postgres' | 'mariadb';

/** One fresh, empty database for one test file. */
export interface TestDatabase {
  readonly name: TestDatabaseName;
  /** Connected through {@link createKnex}, exactly as the host connects. */
  readonly knex: Knex;
  /** The URL {@link createKnex} accepts, for more connections or child processes (a file path for SQLite). */
  readonly url: string;
  /** Closes `knex` and drops the database (deletes the SQLite file). */
  destroy(): Promise<void>;
}

/** A database server that answered, able to create fresh databases. */
export interface TestDatabaseProvider {
  readonly name: TestDatabaseName;
  create(): Promise<TestDatabase>;
}

/** Admin URL of the PostgreSQL server used for tests (trust auth). */
export const POSTGRES_ADMIN_URL = process.env.OAUTH2_MAIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Admin URL of the MariaDB/MySQL server used for tests. */
export const MARIADB_ADMIN_URL = process.env.OAUTH2_MAIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

/** Fresh databases are named `oauth2_mail_test_<epoch seconds>_<random>`; ones older than this were left by a crashed run. */
const STALE_AFTER_S = 2 * 60 * 60;
const NAME_PREFIX = 'oauth2_mail_test_';

function freshName(): string {
  return `${NAME_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

function isStale(name: string): boolean {
  const seconds = Number(/^oauth2_mail_test_(\d+)_/.exec(name)?.[1]);
  return Number.isFinite(seconds) && seconds < Date.now() / 1000 - STALE_AFTER_S;
}

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Whether a TCP server answers at the URL's host and port. Synchronous (a child process) so that
 * `describe.each(testDatabases())` knows the list when jest collects the tests.
 * @returns null when it answers, else the reason
 */
function probe(url: string, defaultPort: number): string | null {
  const { hostname, port } = new URL(url);
  const script =
    `const s=require('net').connect(${Number(port || defaultPort)},${JSON.stringify(hostname)});` +
    `s.setTimeout(2000,()=>{console.log('timeout');process.exit(1)});s.on('connect',()=>process.exit(0));` +
    `s.on('error',(e)=>{console.log(e.code||e.message);process.exit(1)})`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 5000 });
  return result.status === 0 ? null : result.stdout.trim() || 'no answer';
}

async function dropStale(admin: Knex, list: string, drop: (name: string) => string): Promise<void> {
  const rows = (await admin.raw(list)) as { rows?: { name: string }[] } | [{ name: string }[]];
  const names = ('rows' in rows && rows.rows ? rows.rows : (rows as [{ name: string }[]])[0]).map((r) => r.name);
  for (const name of names.filter(isStale)) await admin.raw(drop(name)).catch(() => undefined);
}

const sqlite: TestDatabaseProvider = {
  name: 'sqlite',
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'oauth2-mail-test-'));
    const url = join(dir, 'test.sqlite');
    const knex = createKnex(url);
    return {
      name: 'sqlite',
      knex,
      url,
      async destroy() {
        await knex.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: TestDatabaseProvider = {
  name: 'postgres',
  async create() {
    const name = freshName();
    const admin = createKnex(POSTGRES_ADMIN_URL);
    try {
      await dropStale(
        admin,
        `SELECT datname AS name FROM pg_database WHERE datname LIKE '${NAME_PREFIX}%'`,
        (n) => `DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`,
      );
      await admin.raw(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.destroy();
    }
    const url = withDatabase(POSTGRES_ADMIN_URL, name);
    const knex = createKnex(url);
    return {
      name: 'postgres',
      knex,
      url,
      async destroy() {
        await knex.destroy();
        const dropper = createKnex(POSTGRES_ADMIN_URL);
        try {
          await dropper.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await dropper.destroy();
        }
      },
    };
  },
};

const mariadb: TestDatabaseProvider = {
  name: 'mariadb',
  async create() {
    const name = freshName();
    const admin = createKnex(MARIADB_ADMIN_URL);
    try {
      await dropStale(
        admin,
        `SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE '${NAME_PREFIX}%'`,
        (n) => `DROP DATABASE IF EXISTS \`${n}\``,
      );
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await admin.destroy();
    }
    const url = withDatabase(MARIADB_ADMIN_URL, name);
    const knex = createKnex(url);
    return {
      name: 'mariadb',
      knex,
      url,
      async destroy() {
        await knex.destroy();
        const dropper = createKnex(MARIADB_ADMIN_URL);
        try {
          await dropper.raw(`DROP DATABASE IF EXISTS \`${name}\``);
        } finally {
          await dropper.destroy();
        }
      },
    };
  },
};

let cached: TestDatabaseProvider[] | undefined;

/**
 * The databases to run a suite on: SQLite always; PostgreSQL and MariaDB when their servers answer
 * (each `create()` makes a FRESH database, dropped by `destroy()`). A server that does not answer is
 * left out with a loud `SKIPPED: …` warning, never silently; set `OAUTH2_MAIL_TEST_REQUIRE_DBS=1` to
 * make that an error instead (CI).
 * @returns the providers, SQLite first
 * @example
 * describe.each(testDatabases())('$name', (provider) => { let db: TestDatabase; beforeAll(async () => { db = await provider.create(); }); … });
 */
export function testDatabases(): TestDatabaseProvider[] {
  if (cached) return cached;
  const list: TestDatabaseProvider[] = [sqlite];
  const servers = [
    {
      provider: postgres,
      url: POSTGRES_ADMIN_URL,
      port: 5432,
      label: 'PostgreSQL',
      fix: 'start it (service postgresql start) or set OAUTH2_MAIL_TEST_PG_URL',
    },
    {
      provider: mariadb,
      url: MARIADB_ADMIN_URL,
      port: 3306,
      label: 'MariaDB',
      fix: 'start it (service mariadb start) or set OAUTH2_MAIL_TEST_MYSQL_URL',
    },
  ];
  for (const server of servers) {
    const reason = probe(server.url, server.port);
    if (reason === null) {
      list.push(server.provider);
      continue;
    }
    const { hostname, port } = new URL(server.url);
    const missing = `no ${server.label} at ${hostname}:${port || server.port} (${reason}; ${server.fix})`;
    if (process.env.OAUTH2_MAIL_TEST_REQUIRE_DBS === '1') throw new Error(`REQUIRED but ${missing}`);
    console.warn(`SKIPPED: ${missing}: its runs of these tests are left out`);
  }
  cached = list;
  return list;
}
