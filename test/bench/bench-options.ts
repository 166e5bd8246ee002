/** Command-line options of `npm run bench` (defaults: the sizes of docs/architecture.md#performance-budget). */
import { Command, InvalidArgumentError } from 'commander';

/** How big each measurement is. */
export interface BenchOptions {
  /** Messages (5-20 KB) for the ingest throughput run. */
  readonly messages: number;
  /** Repetitions of the ingest run (median). */
  readonly reps: number;
  /** Mailboxes in the idle cycle. */
  readonly idleAccounts: number;
  /** Repetitions of the idle cycle (median; the machine is shared, so more than a few). */
  readonly idleReps: number;
  /** Size of the large message in MiB. */
  readonly largeMb: number;
  /** Small messages the memory must stay flat across. */
  readonly flatMessages: number;
  /** Concurrent token requests in the race, spread over `processes`. */
  readonly tokenRequests: number;
  readonly processes: number;
  /** Whether the scale rows run (host processes sharing mailboxes on PostgreSQL and MariaDB). */
  readonly scale: boolean;
  /** Mailboxes the scale processes share. */
  readonly scaleAccounts: number;
  /** Process counts measured on PostgreSQL (1 vs 2 vs 4); MariaDB and the rows use 4. */
  readonly scaleProcesses: readonly number[];
  /** The parts to run (all when empty): idle, ingest, memory, tokenRace, scale. */
  readonly only: readonly string[];
  /** Where the JSON goes. */
  readonly out: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/**
 * Parses the command line.
 * @param argv - process.argv
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command('bench')
    .description('Measures the performance budget (docs/architecture.md) against raw imapflow on a private Dovecot.')
    .option('--messages <n>', 'messages of 5-20 KB for the ingest run', positiveInt, 2000)
    .option('--reps <n>', 'repetitions of the ingest run (median)', positiveInt, 3)
    .option('--idle-accounts <n>', 'mailboxes in the idle cycle', positiveInt, 4)
    .option('--idle-reps <n>', 'repetitions of the idle cycle (median)', positiveInt, 15)
    .option('--large-mb <n>', 'size of the large message in MiB', positiveInt, 40)
    .option('--flat-messages <n>', 'small messages the memory must stay flat across', positiveInt, 10_000)
    .option('--token-requests <n>', 'concurrent token requests at expiry', positiveInt, 1000)
    .option('--processes <n>', 'processes sharing the token requests', positiveInt, 4)
    .option('--scale-accounts <n>', 'mailboxes shared by the scale processes', positiveInt, 200)
    .option('--only <parts>', 'run only these parts, comma-separated: idle,ingest,memory,tokenRace,scale', '')
    .option('--no-scale', 'leave out the scale rows (4 processes on PostgreSQL and MariaDB)')
    .option(
      '--quick',
      'a smaller run for a quick look: 300 messages, 1 rep, 3 idle reps, 10 MiB, 2,000 small messages, ' +
        '40 scale mailboxes, 4 processes only',
    )
    .option('--out <file>', 'the JSON result file', 'bench-results.json')
    .showHelpAfterError();
  program.parse([...argv]);
  const raw = program.opts<
    Omit<BenchOptions, 'out' | 'scaleProcesses' | 'only'> & { out: string; only: string; quick?: boolean }
  >();
  const given = (name: string) => program.getOptionValueSource(name) === 'cli';
  const quick = raw.quick === true;
  const pick = (name: keyof typeof raw, quickValue: number) =>
    quick && !given(name) ? quickValue : (raw[name] as number);
  return {
    messages: pick('messages', 300),
    reps: pick('reps', 1),
    idleAccounts: raw.idleAccounts,
    idleReps: pick('idleReps', 3),
    largeMb: pick('largeMb', 10),
    flatMessages: pick('flatMessages', 2000),
    tokenRequests: raw.tokenRequests,
    processes: raw.processes,
    scale: raw.scale,
    scaleAccounts: pick('scaleAccounts', 40),
    scaleProcesses: quick ? [4] : [1, 2, 4],
    only: raw.only
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
    out: raw.out,
  };
}
