/**
 * `oauth2-mail health`: the same answer as `GET <plugin base>/health` (database, scheduler, accounts by status, per
 * account the last successful poll's age and the current problem); exit code 1 when it is `failing`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { callPluginRoute } from './app';

interface HealthView {
  readonly status: string;
  readonly database: { readonly ok: boolean; readonly code?: string };
  readonly scheduler: { readonly ok: boolean; readonly lastRunAt: string | null; readonly ageSeconds: number | null };
  readonly accounts: {
    readonly total: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly list: ReadonlyArray<{
      readonly id: string;
      readonly mailbox: string;
      readonly status: string;
      readonly code: string | null;
      readonly fix: string | null;
      readonly lastSuccessfulPollAgeSeconds: number | null;
    }>;
  };
}

function lines(health: HealthView): string[] {
  const scheduler = health.scheduler.lastRunAt
    ? `last fetch run ${health.scheduler.ageSeconds} s ago${health.scheduler.ok ? '' : ' (LATE: is it running?)'}`
    : 'the fetch task never ran (is the helpdesk running?)';
  const byStatus = Object.entries(health.accounts.byStatus)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  return [
    `health: ${health.status}`,
    `  database: ${health.database.ok ? 'answers' : `does not answer (${health.database.code ?? 'unknown'})`}`,
    `  scheduler: ${scheduler}`,
    `  accounts: ${health.accounts.total}${byStatus ? ` (${byStatus})` : ''}`,
    ...health.accounts.list.flatMap((account) => {
      const age =
        account.lastSuccessfulPollAgeSeconds === null
          ? 'never polled successfully'
          : `last successful poll ${account.lastSuccessfulPollAgeSeconds} s ago`;
      const code = account.code ? ` [${account.code}]` : '';
      const head = `  account ${account.id} ${account.mailbox}: ${account.status}${code}, ${age}`;
      return account.fix ? [head, `    fix: ${account.fix}`] : [head];
    }),
  ];
}

/**
 * Registers `health`.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('health')
    .description('The health answer monitoring gets at <plugin base>/health; exits 1 when failing')
    .action(async () => {
      const response = await context.withHost((host) => callPluginRoute(host, context, 'GET', '/health'), {
        activatePlugins: true,
      });
      const health = (response.kind === 'json' ? response.body : null) as HealthView | null;
      if (!health) throw new Error('The health route did not answer with JSON.');
      context.output(health, lines(health));
      if (health.status === 'failing') context.setExitCode(1);
    });
}
