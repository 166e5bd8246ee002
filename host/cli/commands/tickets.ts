/** `tickets list`: the tickets the host's ticket store holds (what the fetch made of each message). */
import type { Command } from 'commander';
import { PluginError } from '../../../plugin/index';
import type { CliContext } from '../context';

const PAGE = 500;

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new PluginError('ERR_INPUT_INVALID', `${what} must be a positive whole number, not "${value}"`);
  return n;
}

/**
 * Registers the `tickets` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const tickets = program.command('tickets').description('Tickets made from fetched mail');
  tickets
    .command('list')
    .description(
      'List tickets, oldest first: id, account, dedupe key, Message-ID, subject, size and sha256 of the raw source',
    )
    .option('--account <id>', 'only tickets of this mail account')
    .option('--limit <n>', 'only the n newest (default: all)')
    .action(async (options: { account?: string; limit?: string }) => {
      const limit = options.limit !== undefined ? positive(options.limit, '--limit') : Number.POSITIVE_INFINITY;
      const all = await context.withHost(async (host) => {
        const found = [];
        for (let offset = 0; found.length < limit; offset += PAGE) {
          const page = await host.tickets.list({
            limit: PAGE,
            offset,
            ...(options.account !== undefined ? { accountId: options.account } : {}),
          });
          found.push(...page);
          if (page.length < PAGE) break;
        }
        return found;
      });
      // The store lists newest first; a console reads oldest first.
      const rows = all
        .reverse()
        .slice(0, limit)
        .map((t) => ({
          id: t.id,
          accountId: t.accountId,
          dedupeKey: t.dedupeKey,
          messageId: t.messageId,
          subject: t.subject,
          size: t.size,
          sha256: t.sha256,
        }));
      context.output(
        { tickets: rows },
        rows.length === 0
          ? 'No ticket yet.'
          : [
              'id\taccount\tsize\tsha256\tmessage-id\tsubject',
              ...rows.map((t) =>
                [t.id, t.accountId, t.size, t.sha256, t.messageId ?? '-', t.subject ?? '(no subject)'].join('\t'),
              ),
            ],
      );
    });
}
