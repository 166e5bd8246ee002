/** The bench's result table (stdout) and its JSON twin (bench-results.json). */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/**
 * The stable row ids: a run is compared with the last one by id (bench-results.json). `idle.500.*` and
 * `memory.40mib.*` keep their names whatever size a run used (its note says which).
 */
export const BENCH_ROW_IDS = [
  'ingest.ticketstore',
  'ingest.minimal',
  'ingest.mark_seen',
  'ingest.raw_per_message',
  'idle.500.token_requests',
  'idle.500.time',
  'memory.40mib.plugin',
  'memory.40mib.host',
  'memory.flat',
  'tokens.race',
  'scale.postgres.4',
  'scale.mariadb.4',
] as const;

/** A row's id. */
export type BenchRowId = (typeof BENCH_ROW_IDS)[number] | 'idle' | 'ingest' | 'memory' | 'tokenRace' | 'scale';

/** One line of the table. */
export interface BenchRow {
  readonly id: BenchRowId;
  readonly metric: string;
  /** The plugin's number (msg/s, ms, bytes, count), or null when not measured. */
  readonly value: number | null;
  /** Raw imapflow's number in the same unit, or null where there is no baseline. */
  readonly raw: number | null;
  /** The plugin's number as shown, with its unit. */
  readonly shown: string;
  /** Raw imapflow's number as shown ("-" where there is no baseline). */
  readonly rawShown: string;
  /** What is compared with the budget; null for an informational row. */
  readonly ratio: number | null;
  /** How the ratio was formed, e.g. "plugin/raw". */
  readonly ratioOf: string;
  /** The budget (docs/architecture.md#performance-budget), e.g. ">= 0.9"; "-" for an informational row. */
  readonly budget: string;
  /** true/false against the budget; null: informational, or the run failed. */
  readonly pass: boolean | null;
  /** What else the reader should know (sizes, repetitions, failures). */
  readonly note?: string;
}

/** Everything written to bench-results.json. */
export interface BenchReport {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly loadAverageStart: number[];
    readonly loadAverageEnd: number[];
  };
  readonly options: Readonly<Record<string, unknown>>;
  readonly rows: readonly BenchRow[];
  /** Raw measurements behind the rows. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Compares `value` with a budget of the form ">= x", "<= x" or "= x". */
export function withinBudget(value: number, budget: string): boolean {
  const match = /^(>=|<=|=)\s*([\d.]+)/.exec(budget.trim());
  if (!match) throw new Error(`bench: unreadable budget "${budget}"`);
  const limit = Number(match[2]);
  if (match[1] === '>=') return value >= limit;
  if (match[1] === '<=') return value <= limit;
  return value === limit;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function verdict(row: BenchRow): string {
  if (row.budget === '-') return 'info';
  if (row.pass === null) return 'FAILED';
  return row.pass ? 'pass' : 'MISSED';
}

/**
 * The table as text: metric, plugin, raw, ratio, budget, pass/fail; notes below it.
 * @param rows - the measured rows
 */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['metric', 'plugin', 'raw imapflow', 'ratio', 'budget', 'result'];
  const lines = rows.map((row) => [
    row.metric,
    row.shown,
    row.rawShown,
    row.ratio === null ? '-' : `${row.ratio.toFixed(2)} (${row.ratioOf})`,
    row.budget,
    verdict(row),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)];
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.metric}: ${row.note}`);
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  const missed = rows.filter((row) => verdict(row) === 'MISSED' || verdict(row) === 'FAILED');
  out.push(
    '',
    missed.length === 0
      ? 'All budgets met.'
      : `MISSED: ${missed.length} budget(s) not met: ${missed.map((row) => row.metric).join('; ')}`,
  );
  return out.join('\n');
}

/** The machine the numbers come from (2 shared cores: read the load average along with them). */
export function machineInfo(loadAverageStart: number[]): BenchReport['machine'] {
  return {
    node: process.version,
    cpus: cpus().length,
    loadAverageStart,
    loadAverageEnd: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/**
 * Writes the report as JSON.
 * @param file - the path (bench-results.json, gitignored)
 * @param report - what to write
 */
export function writeReport(file: string, report: BenchReport): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
