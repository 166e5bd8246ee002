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
    .option('--quick', 'a smaller run for a quick look: 300 messages, 1 rep, 3 idle reps, 10 MiB, 2,000 small messages')
    .option('--out <file>', 'the JSON result file', 'bench-results.json')
    .showHelpAfterError();
  program.parse([...argv]);
  const raw = program.opts<Omit<BenchOptions, 'out'> & { out: string; quick?: boolean }>();
  const given = (name: string) => program.getOptionValueSource(name) === 'cli';
  const quick = raw.quick === true;
  const pick = (name: keyof BenchOptions, quickValue: number) =>
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
    out: raw.out,
  };
}
