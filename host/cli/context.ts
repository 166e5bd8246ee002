/**
 * What every console command gets: the global options (`--db`, `--json`), a host opened on that
 * database, output in human or JSON form, and secret input from stdin or a file (never argv).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pino from 'pino';
import { PluginError } from '../../plugin/index';
import { HostApp } from '../host-app';
import { createLogger } from '../logger';
import { readSecretFromStdin } from './read-secret';

/** Default database when `--db` is not given. */
export const DEFAULT_DB = './data/helpdesk.sqlite';

/** The global options. */
export interface GlobalOptions {
  readonly db: string;
  readonly json: boolean;
}

/** Options of {@link CliContext.withHost}. */
export interface WithHostOptions {
  /** Activate the installed plugins first (their services register, their migrations run). Default false. */
  readonly activatePlugins?: boolean;
  /** pino level for this command; default OAUTH2_MAIL_LOG_LEVEL, else `warn`. */
  readonly logLevel?: string;
  /** Public base URL (e.g. for redirect URIs). */
  readonly publicBaseUrl?: string;
}

/** Shared helpers of the console commands. */
export interface CliContext {
  /** The package root (where plugin.json and package.json are): the bundled plugin. */
  readonly packageRoot: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The global options of the program. */
  globalOptions(): GlobalOptions;
  /** Opens the host on `--db` without a web server, runs `action`, and always stops the host. */
  withHost<T>(action: (host: HostApp) => Promise<T>, options?: WithHostOptions): Promise<T>;
  /** Opens the host on `--db` and leaves it open (the caller stops it): `start`. */
  openHost(options?: WithHostOptions): Promise<HostApp>;
  /** Prints `value` as JSON with `--json`, else the human lines. */
  output(value: unknown, human: string | readonly string[]): void;
  /** One line on stdout (human output only). */
  say(line: string): void;
  /** Makes the command end with this exit code although it printed its output (a failed `account test`). */
  setExitCode(code: number): void;
  /** The exit code set by {@link setExitCode}, 0 when none. */
  exitCode(): number;
  /**
   * Warns on stderr when `host` builds URLs from the default base URL because no public URL is stored or given.
   * @param host - the open host
   */
  warnIfDefaultBaseUrl(host: HostApp): void;
  /** One compact JSON line on stdout (`--json` only): a first answer before the command's final output. */
  jsonLine(value: unknown): void;
  /**
   * Reads a whole file (a certificate, a private key, a key file) named by an option; never argv content.
   * @param what - words for errors, e.g. "private key"
   */
  readFileOption(what: string, file: string): string;
  /**
   * Reads a secret (password, client secret) from a file (first line) or from stdin; never from argv.
   * @param what - words for the prompt and errors, e.g. "password"
   * @param file - `--…-file` option value, if given
   */
  readSecret(what: string, file?: string): Promise<string>;
}

/**
 * Builds the context for `program`.
 * @param program - the root command (holds the global options)
 * @param packageRoot - the bundled plugin's folder
 * @param env - environment
 */
export function createCliContext(
  program: Command,
  packageRoot: string,
  env: Readonly<Record<string, string | undefined>>,
): CliContext {
  const globalOptions = (): GlobalOptions => {
    const opts = program.opts<{ db?: string; json?: boolean }>();
    return { db: opts.db ?? DEFAULT_DB, json: opts.json === true };
  };
  const openHost = (options: WithHostOptions = {}): Promise<HostApp> =>
    HostApp.open({
      db: globalOptions().db,
      env,
      // Logs go to stderr so stdout holds only the command's output (and parses as JSON with --json).
      logger: createLogger({
        level: options.logLevel ?? env.OAUTH2_MAIL_LOG_LEVEL ?? 'warn',
        destination: pino.destination(2),
      }),
      // The first administrator's password: one write, so no log line lands inside the block.
      announce: (block) => process.stderr.write(`${block}\n`),
      publicBaseUrl: options.publicBaseUrl,
    });
  let exitCode = 0;
  return {
    packageRoot,
    env,
    setExitCode(code) {
      exitCode = code;
    },
    exitCode: () => exitCode,
    globalOptions,
    openHost,
    async withHost(action, options = {}) {
      const host = await openHost(options);
      try {
        if (options.activatePlugins) await host.activatePlugins();
        return await action(host);
      } finally {
        await host.stop();
      }
    },
    output(value, human) {
      if (globalOptions().json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else process.stdout.write(`${typeof human === 'string' ? human : human.join('\n')}\n`);
    },
    say(line) {
      if (!globalOptions().json) process.stdout.write(`${line}\n`);
    },
    warnIfDefaultBaseUrl(host) {
      if (host.publicBaseUrlSource() !== 'default') return;
      process.stderr.write(
        `warning: no public URL of the helpdesk is stored (start it once, with --base-url <url> or ` +
          `OAUTH2_MAIL_BASE_URL when it is reached under another name); URLs here use ${host.publicBaseUrl()}\n`,
      );
    },
    jsonLine(value) {
      if (globalOptions().json) process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    readFileOption(what, file) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new PluginError('ERR_INPUT_INVALID', `The ${what} file ${file} cannot be read (${reason}).`);
      }
      if (text.trim().length === 0) throw new PluginError('ERR_INPUT_INVALID', `The ${what} file ${file} is empty.`);
      return text;
    },
    async readSecret(what, file) {
      const value =
        file !== undefined
          ? (readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '')
          : await readSecretFromStdin(`${what[0]?.toUpperCase() ?? ''}${what.slice(1)}: `);
      if (value.length === 0)
        throw new PluginError('ERR_INPUT_INVALID', `No ${what} given (pipe it on stdin or use a file option)`);
      return value;
    },
  };
}
