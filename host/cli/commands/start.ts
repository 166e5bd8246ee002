/** `start`: the web server and the scheduler; installs and activates the bundled plugin on first start. */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be a port number (0 picks a free one)');
  return port;
}

/**
 * Registers `start`.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('start')
    .description(
      'Run the helpdesk: web admin, scheduler, plugins (installs the bundled oauth2-mail plugin on first start)',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 3000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--base-url <url>',
      'public URL of the helpdesk (OAuth redirect URIs are built from it); ' +
        'default OAUTH2_MAIL_BASE_URL or the listen address',
    )
    .action(async (options: { port: number; host: string; baseUrl?: string }) => {
      const host = await context.openHost({
        logLevel: context.env.OAUTH2_MAIL_LOG_LEVEL ?? 'info',
        publicBaseUrl: options.baseUrl,
      });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        stopping ??= (async () => {
          host.logger.info({ signal }, 'stopping');
          await host.stop();
          process.exit(0);
        })();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      try {
        await host.sessions.purgeExpired();
        await host.signInThrottle.purgeForgotten();
        const url = await host.listen({ port: options.port, host: options.host });
        // Console commands run in other processes: they build redirect URIs from what is stored here.
        await host.rememberPublicBaseUrl();
        // After listen: the block names the real sign-in URL (a sign-in before it exists is refused like any other).
        await host.ensureFirstAdmin();
        const problems: string[] = [];
        for (const report of await host.activatePlugins())
          if (!report.ok) problems.push(`plugin ${report.id} is not active: ${report.problems.join('; ')}`);
        const bundled = await host.ensureInstalled(context.packageRoot);
        if (!bundled.installed)
          problems.push(`the bundled plugin could not be installed: ${bundled.problems.join('; ')}`);
        host.startScheduler();
        for (const problem of problems) process.stderr.write(`warning: ${problem}\n`);
        context.output(
          { url, publicBaseUrl: host.publicBaseUrl(), plugins: host.plugins.activeIds() },
          `Helpdesk listening on ${url}`,
        );
      } catch (error) {
        await host.stop();
        throw error;
      }
    });
}
