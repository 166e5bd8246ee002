/**
 * Budget 5: host processes sharing many mailboxes on one PostgreSQL or MariaDB database, mail seeded before and while
 * they run -> every message exactly once (tickets = seeded, unique Message-IDs and dedupe keys = seeded), the work
 * spread over the processes, and the throughput of 1 vs 2 vs 4 processes. Each database is a fresh one
 * (test/helpers/databases.ts) with the host's migrations; the processes are scale workers (scale-worker.ts), the
 * plugin polling into the reference TicketStore as a host process does.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateHost } from '../../host/host-migrations';
import {
  MARIADB_ADMIN_URL,
  POSTGRES_ADMIN_URL,
  testDatabases,
  type TestDatabase,
  type TestDatabaseName,
} from '../helpers/databases';
import { localMicrosoftApp } from '../helpers/test-env';
import { connectBenchAccount, type BenchEnvironment } from './bench-environment';
import { benchMessages } from './bench-mail';
import { assembleBenchPlugin, type BenchPlugin, type BenchPluginSettings } from './bench-plugin';
import type { BenchRow } from './bench-report';
import { runScaleWorkers } from './child-runner';
import type { ScaleResult } from './probe-protocol';

/** Messages seeded into each mailbox before the processes start. */
const FIRST_ROUND = 20;
/** Messages seeded into each mailbox per round while they run. */
const MESSAGES_PER_ROUND = 5;
/** Rounds of mail per run: the first before the processes start, the others while they run. */
const ROUNDS = 3;
/** How long a run may take to settle everything before it is reported as incomplete. */
const RUN_DEADLINE_MS = 180_000;
/** Accounts connected at once through the code flow. */
const CONNECT_CONCURRENCY = 4;

/** Sizes of the scale measurement. */
export interface ScaleOptions {
  /** Mailboxes shared by the processes. */
  readonly accounts: number;
  /** Process counts measured on PostgreSQL (the row is the one with 4); MariaDB runs 4 only. */
  readonly postgresProcesses: readonly number[];
}

/**
 * The mailboxes of the scale runs on one database (each needs a user at the OAuth server). Each database gets its
 * own: a fresh database's accounts import everything in their mailboxes, the other database's runs included.
 * @param count - how many
 * @param database - whose, or both when omitted
 */
export function scaleMailboxes(count: number, database?: TestDatabaseName): string[] {
  if (database === undefined) return [...scaleMailboxes(count, 'postgres'), ...scaleMailboxes(count, 'mariadb')];
  return Array.from({ length: count }, (_, i) => `scale-${database}-${i + 1}@example.test`);
}

/** What one run of `processes` workers measured. */
interface ScaleRun {
  readonly processes: number;
  readonly seeded: number;
  readonly tickets: number;
  readonly uniqueMessageIds: number;
  readonly uniqueDedupeKeys: number;
  /** From the processes being released until the last seeded message was a ticket; null when it never was. */
  readonly seconds: number | null;
  /** Messages seeded before the processes started. */
  readonly backlog: number;
  /** From the release until the backlog was all tickets. */
  readonly drainSeconds: number | null;
  /** How much of `seconds` went into seeding the later rounds (the mail arriving while they run). */
  readonly seedingSeconds: number;
  /** Tickets per second until the backlog was settled (mail arriving meanwhile counted too). */
  readonly messagesPerSecond: number | null;
  readonly exactlyOnce: boolean;
  readonly workers: readonly ScaleResult[];
}

/** Tickets of a run (`pattern`: what their Message-IDs start with, e.g. `<tag-`), or distinct values of a column. */
async function count(
  plugin: BenchPlugin,
  pattern: string,
  column: 'id' | 'message_id' | 'dedupe_key' = 'id',
): Promise<number> {
  const query = plugin.knex('host_tickets').where('message_id', 'like', `${pattern}%`);
  const row = (await (column === 'id' ? query.count({ n: '*' }) : query.countDistinct({ n: column })).first()) as {
    n: number | string;
  };
  return Number(row.n);
}

async function seedRound(env: BenchEnvironment, mailboxes: readonly string[], tag: string, round: number) {
  const perMailbox = round === 1 ? FIRST_ROUND : MESSAGES_PER_ROUND;
  for (const mailbox of mailboxes)
    await env.dovecot.seed(mailbox, benchMessages(perMailbox, `${tag}-${mailbox.split('@')[0]}-r${round}`));
  return mailboxes.length * perMailbox;
}

async function runOnce(
  env: BenchEnvironment,
  plugin: BenchPlugin,
  settings: BenchPluginSettings,
  mailboxes: readonly string[],
  database: TestDatabaseName,
  processes: number,
): Promise<ScaleRun> {
  // The tag is in every Message-ID of this run (`<tag-…>`), so runs on one database are counted apart.
  const tag = `${database}${processes}p`;
  let seeded = await seedRound(env, mailboxes, tag, 1);
  const backlog = seeded;
  let seconds: number | null = null;
  let seedingSeconds = 0;
  let drain = null as { seconds: number; tickets: number } | null;
  const workers = await runScaleWorkers(processes, { settings, idlePauseMs: 100 }, async () => {
    const started = performance.now();
    // Seeding blocks this process (doveadm runs synchronously), so the tickets are counted between two mailboxes.
    const watchBacklog = async () => {
      if (drain !== null || (await count(plugin, `<${tag}-`, 'id')) < backlog) return;
      if ((await count(plugin, `<${tag}-%-r1-`)) < backlog) return;
      drain = { seconds: (performance.now() - started) / 1000, tickets: await count(plugin, `<${tag}-`) };
    };
    for (let round = 2; round <= ROUNDS; round++)
      for (const mailbox of mailboxes) {
        seeded += await seedRound(env, [mailbox], tag, round);
        await watchBacklog();
      }
    seedingSeconds = (performance.now() - started) / 1000;
    while (performance.now() - started < RUN_DEADLINE_MS) {
      await watchBacklog();
      if ((await count(plugin, `<${tag}-`)) >= seeded) {
        seconds = (performance.now() - started) / 1000;
        return;
      }
      await sleep(50);
    }
  });
  const tickets = await count(plugin, `<${tag}-`);
  const uniqueMessageIds = await count(plugin, `<${tag}-`, 'message_id');
  const uniqueDedupeKeys = await count(plugin, `<${tag}-`, 'dedupe_key');
  const fetched = workers.reduce((sum, w) => sum + w.fetched, 0);
  const failed = workers.reduce((sum, w) => sum + w.failed, 0);
  const exactlyOnce =
    tickets === seeded &&
    uniqueMessageIds === seeded &&
    uniqueDedupeKeys === seeded &&
    fetched === seeded &&
    failed === 0;
  return {
    processes,
    seeded,
    tickets,
    uniqueMessageIds,
    uniqueDedupeKeys,
    seconds,
    seedingSeconds,
    backlog,
    drainSeconds: drain?.seconds ?? null,
    // All tickets of the run made by the time the backlog was settled (mail that arrived meanwhile included).
    messagesPerSecond: drain === null ? null : drain.tickets / drain.seconds,
    exactlyOnce,
    workers,
  };
}

/** Connects the accounts on a fresh database, then runs each process count in turn. */
async function measureDatabase(
  env: BenchEnvironment,
  db: TestDatabase,
  mailboxes: readonly string[],
  processCounts: readonly number[],
  progress: (text: string) => void,
): Promise<ScaleRun[]> {
  await migrateHost(db.knex);
  const settings: BenchPluginSettings = {
    ...env.settings,
    dbFile: db.url,
    logFile: join(env.dir, `bench-scale-${db.name}.log`),
  };
  // The first assembly runs the plugin's migrations; the workers find them done.
  const plugin = await assembleBenchPlugin(settings);
  try {
    const app = await plugin.oauth.apps.create(localMicrosoftApp(env.oauthServer), null);
    const target = { plugin, appId: app.id, oauthServer: env.oauthServer, dovecot: env.dovecot };
    for (let i = 0; i < mailboxes.length; i += CONNECT_CONCURRENCY)
      await Promise.all(mailboxes.slice(i, i + CONNECT_CONCURRENCY).map((m) => connectBenchAccount(target, m)));
    const runs: ScaleRun[] = [];
    for (const processes of processCounts) {
      const run = await runOnce(env, plugin, settings, mailboxes, db.name, processes);
      progress(
        `scale ${db.name}, ${processes} process(es): ${run.tickets}/${run.seeded} tickets, ` +
          `${run.messagesPerSecond === null ? 'incomplete' : `${run.messagesPerSecond.toFixed(0)} msg/s`}`,
      );
      runs.push(run);
    }
    return runs;
  } finally {
    await plugin.close();
  }
}

function describeRun(run: ScaleRun): string {
  const split = run.workers.map((w) => w.fetched).join('/');
  const busy = run.workers.reduce((sum, w) => sum + (w.outcomes.busy ?? 0), 0);
  const handedTwice = run.workers.reduce((sum, w) => sum + w.duplicates, 0);
  const firstError = run.workers.find((w) => w.firstError)?.firstError;
  return (
    `${run.processes} process(es): ${run.messagesPerSecond === null ? `not settled within ${RUN_DEADLINE_MS / 1000} s` : `${run.messagesPerSecond.toFixed(0)} msg/s (backlog of ${run.backlog} settled in ${run.drainSeconds?.toFixed(1)} s; everything in ${run.seconds?.toFixed(1) ?? '-'} s, seeding the later rounds took ${run.seedingSeconds.toFixed(1)} s)`}, ` +
    `tickets ${run.tickets} of ${run.seeded} seeded, unique Message-IDs ${run.uniqueMessageIds}, unique dedupe keys ${run.uniqueDedupeKeys}, ` +
    `duplicate tickets ${run.tickets - run.uniqueMessageIds}; fetched per process ${split}; ` +
    `${busy} account poll(s) found leased by another process; ${handedTwice} handed to the host again` +
    (firstError ? `; first error: ${firstError}` : '')
  );
}

function notMeasured(id: BenchRow['id'], metric: string, why: string): BenchRow {
  return {
    id,
    metric,
    value: null,
    raw: null,
    shown: 'not measured',
    rawShown: '-',
    ratio: null,
    ratioOf: '-',
    budget: '-',
    pass: null,
    note: `not measured: ${why}`,
  };
}

function adminAddress(url: string, port: number): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || port}`;
}

/**
 * Measures the scale rows on PostgreSQL and MariaDB; a database server that does not answer gets a "not measured"
 * row saying so.
 * @param env - the bench world (its OAuth server knows the scale mailboxes' users)
 * @param options - mailboxes and process counts
 * @param progress - prints a line
 */
export async function benchScale(
  env: BenchEnvironment,
  options: ScaleOptions,
  progress: (text: string) => void,
): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const providers = testDatabases();
  const databases = [
    {
      id: 'scale.postgres.4',
      name: 'postgres',
      label: 'PostgreSQL',
      where: adminAddress(POSTGRES_ADMIN_URL, 5432),
      processCounts: [...new Set([...options.postgresProcesses, 4])].sort((a, b) => a - b),
    },
    {
      id: 'scale.mariadb.4',
      name: 'mariadb',
      label: 'MariaDB',
      where: adminAddress(MARIADB_ADMIN_URL, 3306),
      processCounts: [4],
    },
  ] as const;
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {
    accounts: options.accounts,
    firstRound: FIRST_ROUND,
    messagesPerRound: MESSAGES_PER_ROUND,
    rounds: ROUNDS,
  };
  for (const database of databases) {
    const metric = `4 processes on ${database.label}, ${options.accounts} mailboxes`;
    const provider = providers.find((p) => p.name === database.name);
    if (!provider) {
      rows.push(notMeasured(database.id, metric, `no ${database.label} server answered at ${database.where}`));
      details[database.name] = { error: `no server at ${database.where}` };
      continue;
    }
    let db: TestDatabase | undefined;
    try {
      db = await provider.create();
      const mailboxes = scaleMailboxes(options.accounts, database.name);
      const runs = await measureDatabase(env, db, mailboxes, database.processCounts, progress);
      const four = runs.find((run) => run.processes === 4) as ScaleRun;
      const lostOrDuplicated = four.seeded - four.uniqueMessageIds + (four.tickets - four.uniqueMessageIds);
      const others = runs.filter((run) => run !== four);
      rows.push({
        id: database.id,
        metric,
        value: four.messagesPerSecond,
        raw: null,
        shown: four.messagesPerSecond === null ? 'incomplete' : `${four.messagesPerSecond.toFixed(0)} msg/s`,
        rawShown: '-',
        ratio: lostOrDuplicated,
        ratioOf: 'lost + duplicated',
        budget: 'exactly once',
        pass: four.exactlyOnce,
        note:
          `${FIRST_ROUND} messages per mailbox before the processes start, then ${ROUNDS - 1} rounds of ${MESSAGES_PER_ROUND} while they run; ` +
          [four, ...others].map(describeRun).join('; ') +
          (others.length > 0
            ? `; throughput ${runs.map((run) => `${run.processes}p ${run.messagesPerSecond?.toFixed(0) ?? '-'}`).join(' / ')} msg/s`
            : ''),
      });
      details[database.name] = { url: db.url.replace(/\/\/[^@/]*@/, '//'), runs };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      rows.push({ ...notMeasured(database.id, metric, message), budget: 'exactly once', note: `FAILED: ${message}` });
      details[database.name] = { error: message };
    } finally {
      await db?.destroy().catch(() => undefined);
    }
  }
  return { rows, details };
}
