/** `outbox list`: the outgoing messages of the outbox with their state, attempts, next attempt and last error. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ERROR_CODES, type PluginErrorCode } from '../../../plugin/index';
import { OUTBOX_STATES, type OutboxEntry, type OutboxState } from '../../outbox/outbox-entry';
import type { CliContext } from '../context';

const PAGE = 500;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function iso(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

function view(entry: OutboxEntry) {
  const code = entry.lastErrorCode;
  return {
    id: entry.id,
    state: entry.state,
    accountId: entry.accountId,
    ticketId: entry.ticketId,
    messageId: entry.messageId,
    from: entry.from,
    to: entry.to,
    cc: entry.cc,
    subject: entry.subject,
    attempts: entry.attempts,
    nextAttemptAt: entry.state === 'queued' ? iso(entry.nextAttemptAt) : null,
    lastErrorCode: code,
    lastErrorMessage: entry.lastErrorMessage,
    fix: code !== null && code in ERROR_CODES ? ERROR_CODES[code as PluginErrorCode].fix : null,
    response: entry.response,
    accepted: entry.accepted,
    rejected: entry.rejected,
    createdAt: iso(entry.createdAt),
    sentAt: iso(entry.sentAt),
  };
}

function lines(row: ReturnType<typeof view>): string[] {
  const when = row.state === 'sent' ? (row.sentAt ?? '-') : row.state === 'queued' ? (row.nextAttemptAt ?? '-') : '-';
  const first = [row.id, row.state, row.accountId, row.attempts, when, row.to.join(','), row.subject ?? ''].join('\t');
  const error = row.lastErrorCode ? [`  ${row.lastErrorCode}: ${row.lastErrorMessage ?? ''}`] : [];
  const fix = row.fix && row.state !== 'sent' ? [`  fix: ${row.fix}`] : [];
  return [first, ...error, ...fix];
}

/**
 * Registers the `outbox` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const outbox = program.command('outbox').description('Outgoing mail: replies and `send`, committed before sending');
  outbox
    .command('list')
    .description('List the outbox, oldest first: state, account, attempts, next attempt or sent time, last error')
    .addOption(new Option('--state <state>', 'only messages in this state').choices([...OUTBOX_STATES]))
    .option('--limit <n>', 'only the n newest (default: all)', positive)
    .action(async (options: { state?: OutboxState; limit?: number }) => {
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const entries = await context.withHost(async (host) => {
        const found: OutboxEntry[] = [];
        for (let offset = 0; found.length < limit; offset += PAGE) {
          const page = await host.outbox.list({
            limit: PAGE,
            offset,
            ...(options.state ? { state: options.state } : {}),
          });
          found.push(...page);
          if (page.length < PAGE) break;
        }
        return found.slice(0, limit);
      });
      const rows = entries.reverse().map(view);
      context.output(
        { outbox: rows },
        rows.length === 0
          ? 'The outbox is empty.'
          : ['id\tstate\taccount\tattempts\tnext/sent\tto\tsubject', ...rows.flatMap(lines)],
      );
    });
}
