/**
 * `oauth2-mail monitoring token`: creates the monitoring token (replacing any earlier one), shown once and stored
 * only as its sha256. A scraper sends it as `Authorization: Bearer <token>` to `<plugin base>/health` and
 * `<plugin base>/metrics`. `--json`: `{"token"}`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';

/**
 * Registers the `monitoring` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const monitoring = program.command('monitoring').description('Access for monitoring (health, metrics)');
  monitoring
    .command('token')
    .description('Create or replace the monitoring token (shown once; only its hash is stored)')
    .action(async () => {
      const { token, base } = await context.withHost(async (host) => ({
        token: await host.settings.replaceMonitoringToken(),
        base: `${host.publicBaseUrl()}/plugins/oauth2-mail`,
      }));
      context.output({ token }, [
        token,
        'Shown once; any earlier monitoring token no longer works. Send it as "Authorization: Bearer <token>" to',
        `${base}/health and ${base}/metrics.`,
      ]);
    });
}
