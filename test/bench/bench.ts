/**
 * `npm run bench`: the performance budget (docs/architecture.md#performance-budget), measured against raw imapflow
 * on the same private Dovecot with the same tokens. Starts the local OAuth server and Dovecot (test/env) and a fresh SQLite
 * database, connects accounts through the real code flow, seeds generated mail, measures, prints a table and
 * writes bench-results.json. Always exits 0 when it could measure (the bench reports, the tests assert behaviour);
 * a missed budget is printed as MISSED. Standalone: no jest.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { startBenchEnvironment, type BenchEnvironment } from './bench-environment';
import { parseBenchOptions } from './bench-options';
import { formatTable, machineInfo, writeReport, type BenchRow, type BenchRowId } from './bench-report';
import { benchIdleCycle, idleMailboxes } from './idle-bench';
import { benchIngest, ingestMailboxes } from './ingest-bench';
import { benchMemory, MEMORY_MAILBOXES } from './memory-bench';
import { benchScale, scaleMailboxes } from './scale-bench';
import { benchTokenRace, RACE_MAILBOX } from './token-race-bench';

const MEGABYTE = 1024 * 1024;

function progress(text: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

type Step = (env: BenchEnvironment) => Promise<{ rows: BenchRow[]; details: Record<string, unknown> }>;

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv);
  const startedAt = new Date();
  const loadStart = loadavg().map((n) => Math.round(n * 100) / 100);
  const mailboxes = [
    ...idleMailboxes(options.idleAccounts),
    ...ingestMailboxes(options.reps),
    ...MEMORY_MAILBOXES,
    RACE_MAILBOX,
    ...(options.scale ? scaleMailboxes(options.scaleAccounts) : []),
  ];
  progress(`starting the OAuth server, Dovecot and SQLite (load average ${loadStart.join(' ')})`);
  const env = await startBenchEnvironment(mailboxes, { fetch: { maxMessageBytes: 64 * MEGABYTE } });
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};
  // The idle cycle polls every connected account, so it runs first, while its accounts are the only ones.
  const steps: Array<[BenchRowId & ('idle' | 'ingest' | 'memory' | 'tokenRace' | 'scale'), string, Step]> = [
    [
      'idle',
      `idle cycle: ${options.idleAccounts} mailboxes, ${options.idleReps} repetitions`,
      (e) => benchIdleCycle(e, options.idleAccounts, options.idleReps),
    ],
    [
      'ingest',
      `ingest: ${options.messages} messages x ${options.reps} repetitions (+1 with mark_seen)`,
      (e) => benchIngest(e, options.messages, options.reps),
    ],
    [
      'memory',
      `memory: ${options.largeMb} MiB message, then ${options.flatMessages} small messages (child processes)`,
      (e) => benchMemory(e, options.largeMb, options.flatMessages),
    ],
    [
      'tokenRace',
      `token race: ${options.tokenRequests} requests over ${options.processes} processes`,
      (e) => benchTokenRace(e, options.tokenRequests, options.processes),
    ],
  ];
  if (options.scale)
    steps.push([
      'scale',
      `scale: ${options.scaleAccounts} mailboxes, ${options.scaleProcesses.join(' / ')} processes on PostgreSQL, 4 on MariaDB`,
      (e) => benchScale(e, { accounts: options.scaleAccounts, postgresProcesses: options.scaleProcesses }, progress),
    ]);
  try {
    for (const [key, title, step] of steps) {
      if (options.only.length > 0 && !options.only.includes(key)) continue;
      progress(title);
      const started = performance.now();
      try {
        const result = await step(env);
        rows.push(...result.rows);
        details[key] = result.details;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        progress(`${key} FAILED: ${message}`);
        rows.push({
          id: key,
          metric: key,
          value: null,
          raw: null,
          shown: '-',
          rawShown: '-',
          ratio: null,
          ratioOf: '-',
          budget: 'run',
          pass: null,
          note: `FAILED: ${message}`,
        });
        details[key] = { error: message };
      }
      progress(`${key} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await env.stop();
  }
  // Left out with --no-scale: the rows stay, so a comparison by id sees them missing instead of passing.
  if (!options.scale)
    for (const [id, database] of [
      ['scale.postgres.4', 'PostgreSQL'],
      ['scale.mariadb.4', 'MariaDB'],
    ] as const)
      rows.push({
        id,
        metric: `4 processes on ${database}, ${options.scaleAccounts} mailboxes`,
        value: null,
        raw: null,
        shown: 'not measured',
        rawShown: '-',
        ratio: null,
        ratioOf: '-',
        budget: '-',
        pass: null,
        note: 'not measured: left out with --no-scale',
      });
  if (env.plugin.problems.count > 0) {
    details.warnings = { count: env.plugin.problems.count, first: env.plugin.problems.first };
  }
  const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const out = resolve(options.out);
  writeReport(out, {
    startedAt: startedAt.toISOString(),
    durationSeconds,
    machine: machineInfo(loadStart),
    options: { ...options },
    rows,
    details,
  });
  process.stdout.write(`\n${formatTable(rows)}\n\n`);
  if (env.plugin.problems.count > 0)
    process.stdout.write(
      `The plugin logged ${env.plugin.problems.count} warning(s) in the bench process, first: ${env.plugin.problems.first.join(' | ')}\n`,
    );
  process.stdout.write(
    `${durationSeconds} s on ${machineInfo(loadStart).cpus} CPU(s), load average ${loadStart.join(' ')} -> ${machineInfo(loadStart).loadAverageEnd.join(' ')}; JSON: ${out}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
