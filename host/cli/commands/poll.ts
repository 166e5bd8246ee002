/** `poll --once [--account ID]`: one fetch cycle now, with per-account counts and status. */
import type { Command } from 'commander';
import { PluginError } from '../../../plugin/index';
import type { CliContext } from '../context';

/** The fetch task's id (plugin.json `contributes.scheduledTasks`). */
const FETCH_TASK_ID = 'oauth2-mail.fetch';

/** One account's line of the report (the plugin's AccountPollResult, as far as the console reads it). */
interface AccountLine {
  readonly accountId: string;
  readonly mailbox: string;
  readonly outcome: string;
  readonly fetched: number;
  readonly duplicates: number;
  readonly skipped: number;
  readonly failed: number;
  readonly quarantined: number;
  readonly status: string;
  readonly error?: { readonly code: string; readonly message: string };
}

function readReport(report: unknown): AccountLine[] {
  const accounts = (report as { accounts?: unknown } | undefined)?.accounts;
  if (!Array.isArray(accounts))
    throw new PluginError('ERR_INTERNAL', 'The fetch task returned no report; is the installed plugin up to date?');
  return accounts as AccountLine[];
}

/** Why `poll` cannot run, and what to do. */
const NOT_INSTALLED =
  'The oauth2-mail plugin is not installed or not active in this database: ' +
  'run `oauth2-mail start` once (it installs the bundled plugin) or `oauth2-mail plugin install <dir>`.';

function human(line: AccountLine): string[] {
  const quarantined = line.quarantined ? ` (quarantined ${line.quarantined})` : '';
  const duplicates = line.duplicates ? `, already known ${line.duplicates}` : '';
  const counts = `fetched ${line.fetched}, skipped ${line.skipped}, failed ${line.failed}${quarantined}${duplicates}`;
  const lines = [`account ${line.accountId} ${line.mailbox}: ${line.outcome}; ${counts}; status ${line.status}`];
  if (line.error) lines.push(`  ${line.error.code}: ${line.error.message}`);
  return lines;
}

/**
 * Registers the `poll` command.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('poll')
    .description(
      'Fetch mail now: one cycle over every enabled, connected account (or one), then exit; `start` polls continuously',
    )
    .option('--once', 'run one cycle and exit (required: continuous polling is `start`)')
    .option('--account <id>', 'poll only this account, due or not')
    .action(async (options: { once?: boolean; account?: string }) => {
      if (!options.once)
        throw new PluginError(
          'ERR_INPUT_INVALID',
          'poll runs one cycle: add --once (continuous polling is `oauth2-mail start`)',
        );
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const report = await context.withHost(
          async (host) => {
            if (!host.scheduler.list().some((task) => task.id === FETCH_TASK_ID)) {
              throw new PluginError('ERR_NOT_FOUND', NOT_INSTALLED);
            }
            return host.scheduler.runNow(
              FETCH_TASK_ID,
              options.account !== undefined ? { accountId: options.account } : {},
              controller.signal,
            );
          },
          { activatePlugins: true },
        );
        const accounts = readReport(report);
        context.output(
          { accounts },
          accounts.length === 0 ? 'No enabled, connected mail account to poll.' : accounts.flatMap(human),
        );
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
