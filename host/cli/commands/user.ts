/**
 * `user add`, `user list`, `user password EMAIL`: helpdesk users (admins and agents); a password comes from stdin or
 * a file, never argv.
 */
import { Option, type Command } from 'commander';
import type { Role } from '../../auth/user-store';
import type { CliContext } from '../context';

/**
 * Registers the `user` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const user = program.command('user').description('Manage helpdesk users');
  user
    .command('add')
    .description('Add a user; the password is read from stdin (or --password-file)')
    .requiredOption('--email <email>', 'sign-in email')
    .addOption(new Option('--role <role>', 'admin or agent').choices(['admin', 'agent']).default('agent'))
    .option('--password-file <file>', 'file whose first line is the password')
    .action(async (options: { email: string; role: Role; passwordFile?: string }) => {
      const password = await context.readSecret('password', options.passwordFile);
      const created = await context.withHost((host) =>
        host.users.create({ email: options.email, role: options.role, password }),
      );
      context.output(created, `Added ${created.role} ${created.email} (id ${created.id})`);
    });
  user
    .command('list')
    .description('List the users (email, role, id)')
    .action(async () => {
      const users = await context.withHost((host) => host.users.list());
      const lines = users.map(
        (u) => `${u.email}  ${u.role}  (id ${u.id}, added ${new Date(u.createdAt).toISOString()})`,
      );
      context.output({ users }, users.length > 0 ? lines : 'No users yet.');
    });
  user
    .command('password')
    .description("Set a user's password, read from stdin (or --password-file); their sessions end")
    .argument('<email>', 'the sign-in email')
    .option('--password-file <file>', 'file whose first line is the new password')
    .action(async (email: string, options: { passwordFile?: string }) => {
      const password = await context.readSecret('new password', options.passwordFile);
      const changed = await context.withHost((host) => host.users.setPassword(email, password));
      context.output(
        { id: changed.id, email: changed.email, role: changed.role },
        `Password of ${changed.email} set; their sessions were ended`,
      );
    });
}
