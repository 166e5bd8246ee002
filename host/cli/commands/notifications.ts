/**
 * `oauth2-mail notifications list [--all]`: the admin notifications (one per incident: per account and cause, or
 * per app naming its accounts), open ones only unless `--all` adds the resolved ones.
 */
import type { Command } from 'commander';
import type { HostNotification } from '../../notifications';
import type { CliContext } from '../context';

function line(notification: HostNotification): string {
  const state =
    notification.resolvedAt === null ? 'OPEN' : `resolved ${new Date(notification.resolvedAt).toISOString()}`;
  const times = notification.occurrences > 1 ? ` (${notification.occurrences} times)` : '';
  return [
    `${notification.severity.toUpperCase()} ${notification.title} [${state}]${times}`,
    `  since ${new Date(notification.createdAt).toISOString()}, last ${new Date(notification.updatedAt).toISOString()}`,
    `  ${notification.message}`,
  ].join('\n');
}

/**
 * Registers the `notifications` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const notifications = program.command('notifications').description('Admin notifications (incidents)');
  notifications
    .command('list')
    .description('The open notifications, newest first; --all also the resolved ones')
    .option('--all', 'include resolved notifications')
    .action(async (options: { all?: boolean }) => {
      const all = options.all === true;
      const listed = await context.withHost((host) => host.notifications.list({ all }));
      context.output(
        listed,
        listed.length === 0 ? (all ? 'No notification yet.' : 'No open notification.') : listed.map(line),
      );
    });
}
