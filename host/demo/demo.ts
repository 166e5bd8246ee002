/**
 * `npm run demo`: the whole thing on one machine, nothing to register anywhere.
 *
 * - a fresh reference host on SQLite (./data/demo/helpdesk/helpdesk.sqlite), with an admin whose password is printed;
 * - the local OAuth2 server in its Microsoft-like profile (tenant path, rotating refresh tokens, AADSTS errors);
 * - a private Dovecot whose mailbox alice@example.test already holds a few messages;
 * - an app registration and a mail account pre-filled through the plugin's own admin screen.
 *
 * The newcomer opens the printed URL, clicks Connect, signs in at the local provider and watches tickets appear.
 * The provider and Dovecot use https/TLS with a CA generated for the demo: the host trusts it through
 * NODE_EXTRA_CA_CERTS (it runs as a child process for that reason), the browser is told about it. Ctrl-C stops all.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  INSTALL_DOVECOT,
  SHARED_MAILBOX,
  startDovecot,
  startOAuthServer,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../test/env';
import { findPackageRoot } from '../cli/main';
import { AdminHttpClient } from './admin-http-client';
import { DemoSupervisor } from './demo-supervisor';
import { initialDemoMessages, laterDemoMessage } from './demo-mail';
import { freePort, startHostProcess, type HostProcess } from './host-process';

/** Options from the command line and the environment. */
interface DemoOptions {
  readonly dataDir: string;
  readonly port: number;
}

const MAILBOX = 'alice@example.test';
const PLUGIN = '/plugins/oauth2-mail';
/** The demo account is checked this often (the minimum the account form accepts). */
const DEMO_POLL_SECONDS = '10';
/** When the "new message arrives" part of the demo happens. */
const LATER_MESSAGE_AFTER_MS = 3 * 60_000;

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const port = Number(value('--port') ?? env.DEMO_PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
  return { dataDir: resolve(value('--data') ?? env.DEMO_DATA_DIR ?? join('data', 'demo')), port };
}

const say = (line = '') => process.stdout.write(`${line}\n`);

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Dovecot missing: installed with apt-get as root, otherwise the exact command is printed and the demo stops. */
function installDovecot(command: string): void {
  if (!isRoot()) {
    say('Dovecot is not installed. Install it, then run `npm run demo` again:');
    say(`  sudo ${command}`);
    process.exit(1);
  }
  say(`Dovecot is not installed; installing it: ${command}`);
  const args = command.split(' ').slice(1);
  try {
    execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

async function startDovecotInstalling(dir: string, oauth: OAuthServerHandle): Promise<DovecotHandle> {
  try {
    return await startDovecot({ dir, oauth });
  } catch (error) {
    if (!(error instanceof Error) || error.message !== INSTALL_DOVECOT) throw error;
    installDovecot(INSTALL_DOVECOT);
    return startDovecot({ dir, oauth });
  }
}

/** The app registration and the mail account, entered through the plugin's screen like an admin would. */
async function prefill(
  host: HostProcess,
  adminEmail: string,
  adminPassword: string,
  oauth: OAuthServerHandle,
  dovecot: DovecotHandle,
): Promise<void> {
  const admin = await AdminHttpClient.signIn(host.url, adminEmail, adminPassword);
  const expiry = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  const app = await admin.postForm(`${PLUGIN}/apps`, {
    provider: 'microsoft',
    name: 'Contoso (local Microsoft-like provider)',
    cloud: 'global',
    tenant: oauth.tenant ?? 'organizations',
    clientId: oauth.client.clientId,
    clientSecret: oauth.client.clientSecret,
    secretExpiresAt: expiry,
    // Points the Microsoft preset at the local server instead of login.microsoftonline.com.
    issuerUrl: oauth.issuer,
  });
  if (app.status !== 303)
    throw new Error(
      `the demo app registration was refused (HTTP ${app.status}): ${app.text
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 600)}`,
    );
  const list = await admin.get(`${PLUGIN}/accounts`);
  const appId = /data-app-id="([^"]+)"/.exec(list.text)?.[1];
  if (!appId) throw new Error('the demo app registration is not listed');
  const account = await admin.postForm(`${PLUGIN}/accounts`, {
    mailbox: MAILBOX,
    appId,
    protocol: 'imap',
    host: '127.0.0.1',
    port: String(dovecot.ports.imaps),
    tls: 'implicit',
    folder: 'INBOX',
    initialSync: 'all',
    postFetchAction: 'mark_seen',
    pollIntervalSeconds: DEMO_POLL_SECONDS,
    enabled: 'true',
  });
  if (account.status !== 303)
    throw new Error(
      `the demo mail account was refused (HTTP ${account.status}): ${account.text
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 600)}`,
    );
}

/** Marks a folder the demo created, so a later start may wipe it (and never a folder it did not create). */
const MARKER = '.oauth2-mail-demo';

/** Empties the demo folder: only when it is new, empty, or a previous demo's (it holds the marker). */
function freshDataDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    throw new Error(`${dir} is not empty and was not created by the demo; choose another folder with --data.`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'Created by `npm run demo`; wiped on its next start.\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const packageRoot = findPackageRoot(__dirname);
  freshDataDir(options.dataDir);

  const supervisor = new DemoSupervisor({ say, error: (line) => process.stderr.write(`${line}\n`) }, (code) =>
    process.exit(code),
  );
  process.once('SIGINT', () => void supervisor.interrupt('SIGINT'));
  process.once('SIGTERM', () => void supervisor.interrupt('SIGTERM'));

  try {
    const port = await freePort(options.port);
    const callbackUrl = `http://127.0.0.1:${port}${PLUGIN}/callback`;
    say('Starting the local OAuth2 provider (Microsoft-like) …');
    // One folder for both: Dovecot (an unprivileged user) reads the provider's CA from it.
    const oauth = await startOAuthServer({
      profile: 'microsoft',
      dir: options.dataDir,
      redirectUris: [callbackUrl],
    });
    supervisor.add('the local OAuth2 provider', () => oauth.stop());

    say('Starting Dovecot with a seeded mailbox …');
    const dovecot = await startDovecotInstalling(options.dataDir, oauth);
    supervisor.add('Dovecot', () => dovecot.stop());
    const seeded = initialDemoMessages();
    await dovecot.seed(
      MAILBOX,
      seeded.map((m) => ({ raw: m.raw, mtime: m.receivedAt })),
    );

    say('Starting the helpdesk …');
    const adminEmail = 'admin@demo.test';
    const adminPassword = randomBytes(9).toString('base64url');
    const host = await startHostProcess({
      packageRoot,
      // A folder of its own: the data folder stays traversable for Dovecot, the database stays private.
      db: join(options.dataDir, 'helpdesk', 'helpdesk.sqlite'),
      port,
      adminEmail,
      adminPassword,
      caCertFile: oauth.caCertFile,
      logFile: join(options.dataDir, 'helpdesk.log'),
    });
    supervisor.add('the helpdesk', () => host.stop());
    supervisor.watchHelpdesk(host);
    await prefill(host, adminEmail, adminPassword, oauth, dovecot);

    const later = setTimeout(() => {
      void dovecot
        .seed(MAILBOX, [{ raw: laterDemoMessage().raw }])
        .then(() =>
          say(
            `A new message just arrived in ${MAILBOX}: ` +
              `it becomes a ticket within ~${DEMO_POLL_SECONDS}-15 s once connected.`,
          ),
        );
    }, LATER_MESSAGE_AFTER_MS);
    later.unref();

    const user = oauth.user(MAILBOX);
    say('');
    say('oauth2-mail demo is running.');
    say('');
    say(`  1. Open        ${host.url}${PLUGIN}/accounts`);
    say(`  2. Sign in as  ${adminEmail}  /  ${adminPassword}`);
    say(`  3. Click "Connect" next to ${MAILBOX}.`);
    say(`  4. At the local provider sign in as  ${user.login}  /  ${user.password}`);
    say(`     The provider runs on ${oauth.origin} with a certificate from the demo's own CA`);
    say(`     (${oauth.caCertFile}): your browser warns once; choose "Advanced" -> "Proceed to 127.0.0.1".`);
    say(
      `  5. Back on the screen the account is "connected"; ` +
        `its ${seeded.length} waiting messages become tickets within ~15 s,`,
    );
    say(
      '     or click "Fetch now". See them under "Tickets". ' +
        `A fifth message arrives after ${LATER_MESSAGE_AFTER_MS / 60_000} minutes.`,
    );
    say('');
    say(`  Other sign-ins at the provider: bob@example.test / bob-password (a delegate of ${SHARED_MAILBOX}),`);
    say(
      '  carol@corp.example.test / carol-password (mailbox carol@example.test). ' +
        'Try connecting alice with bob: it is refused.',
    );
    say(
      `  Logs: ${join(options.dataDir, 'helpdesk.log')}. ` +
        `Everything lives in ${options.dataDir} (wiped on the next start).`,
    );
    say('');
    say('Ctrl-C stops everything.');
  } catch (error) {
    process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await supervisor.stopAll(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
