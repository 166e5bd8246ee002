/**
 * The reference host (`bin/oauth2-mail.js start`) as a child process, for the demo and the browser tests.
 * A separate process is what lets the host trust a local provider's CA: Node reads NODE_EXTRA_CA_CERTS only at
 * start-up, and the plugin's OAuth client and IMAP connections both honour it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** Options of {@link startHostProcess}. */
export interface HostProcessOptions {
  /** The package root (bin/oauth2-mail.js and the built dist/ are there). */
  readonly packageRoot: string;
  /** SQLite file (created if missing). */
  readonly db: string;
  /** Port to listen on (127.0.0.1). */
  readonly port: number;
  /** The first administrator, created on first start. */
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** PEM file of an extra CA the host trusts (the local provider's and mail server's). */
  readonly caCertFile?: string;
  /** Plugin configuration installed before the first start (e.g. `{ allowInsecureLoopback: true }`). */
  readonly pluginConfig?: Readonly<Record<string, unknown>>;
  /** Where the host's output goes (appended); default: discarded. */
  readonly logFile?: string;
  /** pino level; default `info`. */
  readonly logLevel?: string;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** How the host process ended. */
export interface HostExit {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running host process. */
export interface HostProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has ended, whoever ended it. */
  readonly exited: Promise<HostExit>;
  /** Where its output goes, when it has a log file. */
  readonly logFile?: string;
  /** SIGTERM, then SIGKILL after 10 s; idempotent. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the preferred one when it is free). */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const got = typeof address === 'object' && address ? address.port : null;
        server.close(() => resolve(got));
      });
    });
  if (preferred > 0) {
    const got = await tryPort(preferred);
    if (got !== null) return got;
  }
  const any = await tryPort(0);
  if (any === null) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}

function runToEnd(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}): ${output.trim().slice(-2000)}`)),
    );
  });
}

/**
 * Starts the host and waits until the plugin's admin screen answers.
 * @param options - database, port, admin, CA, plugin config
 * @throws Error when the build is missing, the process exits early, or it does not answer within 60 s
 */
export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const cli = join(options.packageRoot, 'bin', 'oauth2-mail.js');
  if (
    !existsSync(join(options.packageRoot, 'dist', 'host', 'cli', 'main.js')) ||
    !existsSync(join(options.packageRoot, 'dist', 'plugin', 'index.js'))
  ) {
    throw new Error('The build is missing: run `npm run build` first.');
  }
  // The host's database folder is private to its user (the host warns about a more open one).
  mkdirSync(dirname(options.db), { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OAUTH2_MAIL_ADMIN_EMAIL: options.adminEmail,
    OAUTH2_MAIL_ADMIN_PASSWORD: options.adminPassword,
    OAUTH2_MAIL_LOG_LEVEL: options.logLevel ?? 'info',
    ...(options.caCertFile ? { NODE_EXTRA_CA_CERTS: options.caCertFile } : {}),
    ...options.env,
  };
  delete env.OAUTH2_MAIL_BASE_URL;
  delete env.OAUTH2_MAIL_DB;

  if (options.pluginConfig) {
    const configFile = join(dirname(options.db), 'plugin-config.json');
    writeFileSync(configFile, JSON.stringify(options.pluginConfig));
    await runToEnd(
      spawn(
        process.execPath,
        [cli, '--db', options.db, 'plugin', 'install', options.packageRoot, '--config', configFile],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
      'plugin install',
    );
  }

  const child = spawn(
    process.execPath,
    [cli, '--db', options.db, 'start', '--port', String(options.port), '--host', '127.0.0.1'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  let exited: number | null | undefined;
  const exitPromise = new Promise<HostExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code;
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined)
      throw new Error(
        `The host exited during start-up (exit ${exited})${options.logFile ? `; see ${options.logFile}` : ''}.`,
      );
    try {
      // Listening comes before the plugins are activated: wait for the plugin's screen (a sign-in redirect, not 404).
      const response = await fetch(`${url}/plugins/oauth2-mail/accounts`, { redirect: 'manual' });
      if (response.status !== 404 && response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `The host did not answer on ${url} within 60 s${options.logFile ? `; see ${options.logFile}` : ''}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return { url, pid: child.pid ?? -1, exited: exitPromise, logFile: options.logFile, stop };
}
