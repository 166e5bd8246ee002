/**
 * The console: `oauth2-mail [--db <sqlite path | postgres://… | mysql://…>] [--json] <command>`.
 * Each command group is a module in ./commands exporting `register(program, context)`; they are
 * discovered from that folder, so adding a group means adding a file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ERROR_CODES, isPluginError, type PluginErrorCode } from '../../plugin/index';
import { createCliContext, DEFAULT_DB, type CliContext } from './context';

/** A command group module. */
export interface CommandModule {
  register(program: Command, context: CliContext): void;
}

/** Groups shown first in `--help`, in this order; others follow alphabetically. */
const ORDER = ['start', 'plugin', 'user', 'app', 'account', 'poll', 'tickets', 'send', 'outbox'];

/** The folder holding plugin.json and package.json above `from` (the bundled plugin). */
export function findPackageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'plugin.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** The command group modules in ./commands, in help order. */
export function loadCommandModules(
  directory: string = join(__dirname, 'commands'),
): Array<{ readonly name: string; readonly module: CommandModule }> {
  const names = readdirSync(directory)
    .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.(js|ts)$/, ''));
  const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return (
    [...new Set(names)]
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- command groups are discovered at run time
      .map((name) => ({ name, module: require(join(directory, name)) as CommandModule }))
      .filter((entry) => typeof entry.module.register === 'function')
  );
}

/**
 * Builds the program with every command group.
 * @param env - environment
 */
export function buildProgram(env: Readonly<Record<string, string | undefined>> = process.env): {
  readonly program: Command;
  readonly context: CliContext;
} {
  const program = new Command('oauth2-mail')
    .description('The oauth2-mail reference helpdesk: web admin, scheduler, plugin manager and console')
    .option(
      '--db <url>',
      'SQLite file path, postgres://user:pass@host/db or mysql://user:pass@host/db',
      env.OAUTH2_MAIL_DB ?? DEFAULT_DB,
    )
    .option('--json', 'machine-readable output (and errors as {"error":{"code","message"}})')
    .showHelpAfterError()
    .exitOverride();
  const context = createCliContext(program, findPackageRoot(), env);
  for (const { module } of loadCommandModules()) module.register(program, context);
  return { program, context };
}

/**
 * Runs the console and returns the exit code (0 ok, 1 error). Errors print one clear line (plus the
 * list of problems of an invalid manifest), never a stack trace for a PluginError.
 * @param argv - process.argv
 */
export async function runCli(argv: readonly string[] = process.argv): Promise<number> {
  const { program, context } = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return context.exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander printed the message already
    const json = context.globalOptions().json;
    const code: PluginErrorCode = isPluginError(error) ? error.code : 'ERR_INTERNAL';
    const message = isPluginError(error) ? error.message : error instanceof Error ? error.message : String(error);
    if (json) {
      const details = isPluginError(error) && Object.keys(error.details).length > 0 ? { details: error.details } : {};
      process.stdout.write(`${JSON.stringify({ error: { code, message, ...details } })}\n`);
    } else {
      const [first, ...rest] = message.split('\n');
      process.stderr.write(`error [${code}]: ${first}\n${rest.map((line) => `${line}\n`).join('')}`);
      const fix = ERROR_CODES[code].fix;
      if (fix) process.stderr.write(`  fix: ${fix}\n`);
      if (!isPluginError(error) && process.env.OAUTH2_MAIL_DEBUG && error instanceof Error && error.stack)
        process.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv).then((code) => {
    if (code !== 0) process.exitCode = code;
  });
}
