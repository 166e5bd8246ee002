/**
 * `oauth2-mail account add|update|list|show|test|events|connect|disconnect|remove`: mail accounts, through the
 * plugin's JSON API (see app.ts). The sending options (`--smtp`, `--no-smtp`, `--smtp-host` …) map to the API's
 * `smtpEnabled`, `smtpHost`, `smtpPort`, `smtpTls`, `smtpFrom`. `account connect ID` depends on how the account gets its tokens:
 * - delegated: prints the URL to open in a browser (`--json`: {"authorizationUrl": …}); the provider sends the
 *   browser back to the running host's callback (`oauth2-mail start`), which completes Connect;
 * - `--device` (delegated): prints the verification URI and the user code (`--json`: the first line is
 *   {"verificationUri", "userCode", "expiresAt"}), waits until the sign-in on any device is approved, denied or
 *   expired, and ends with the account as `account show` prints it, or the error and exit code 1;
 * - app-only and service-account: obtains the app's token and proves the mailbox opens, no browser; prints the
 *   account (status connected) or the error.
 * `account test ID` runs Test connection step by step (`--json`: {"ok", "steps": [{"name", "ok", "ms", "code"?,
 * "message"?, "fix"?}]}) and exits 1 when a step failed; `account events ID` prints the account's history.
 */
import { Option, type Command } from 'commander';
import type { CliContext } from '../context';
import { callPluginApi, formOf } from './app';

/** `--protocol`: POP3 has no folders and no flags (folder, initial sync new_only, mark_seen and move are refused). */
const PROTOCOLS = ['imap', 'pop3'];

/** One step of `account test --json`. */
interface TestStepView {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly skipped?: boolean;
  readonly detail: string;
  readonly code?: string;
  readonly message?: string;
  readonly fix?: string;
}

/** One event of `account events`. */
interface EventView {
  readonly at: number;
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
  /** The history's words for it (as the screen shows them). */
  readonly words?: { readonly what: string; readonly details: string };
}

function stepLines(step: TestStepView): string[] {
  const mark = step.skipped ? '-' : step.ok ? 'ok' : 'FAILED';
  const head = `${mark.padEnd(6)} ${step.name.padEnd(9)} ${step.skipped ? '' : `${step.ms} ms  `}${step.detail}`;
  if (step.ok || step.skipped) return [head];
  return [head, `       ${step.code}: ${step.message}`, `       fix: ${step.fix}`];
}

function eventLine(event: EventView): string {
  const code = event.code ? ` [${event.code}]` : '';
  const words = event.words ?? { what: event.type, details: event.message };
  return `${new Date(event.at).toISOString()}  ${words.what}${code}  ${words.details}`;
}

/** The options `account add` and `account update` share (strings as commander hands them over). */
export interface AccountOptions {
  app?: string;
  /** `delegated` | `app-only` | `service-account`. */
  auth?: string;
  mailbox?: string;
  protocol?: string;
  host?: string;
  port?: string;
  tls?: string;
  folder?: string;
  initialSync?: string;
  postFetch?: string;
  pollInterval?: string;
  sharedViaDelegate?: boolean;
  smtp?: boolean;
  smtpHost?: string;
  smtpPort?: string;
  smtpTls?: string;
  smtpFrom?: string;
}

/** The API's form fields of the options given; an option not given is left out. */
export function accountForm(options: AccountOptions): Record<string, string> {
  return formOf({
    appId: options.app,
    authMode: options.auth,
    mailbox: options.mailbox,
    protocol: options.protocol,
    host: options.host,
    port: options.port,
    tls: options.tls,
    folder: options.folder,
    initialSync: options.initialSync,
    postFetch: options.postFetch,
    pollIntervalSeconds: options.pollInterval,
    sharedViaDelegate: options.sharedViaDelegate,
    smtpEnabled: options.smtp,
    smtpHost: options.smtpHost,
    smtpPort: options.smtpPort,
    smtpTls: options.smtpTls,
    smtpFrom: options.smtpFrom,
  });
}

/** Adds the options `add` and `update` share; `required` makes app and mailbox mandatory (add). */
export function accountOptions(command: Command, required: boolean): Command {
  const tls = ['implicit', 'starttls', 'none'];
  const auth = new Option(
    '--auth <mode>',
    "how it gets tokens: a person signs in, the app's own token, a service account",
  ).choices(['delegated', 'app-only', 'service-account']);
  command.addOption(required ? auth.default('delegated') : auth);
  if (required) {
    command
      .requiredOption('--app <id>', 'the app registration it signs in with')
      .requiredOption('--mailbox <address>', "the mailbox address (the shared mailbox's, for a delegate)")
      .addOption(new Option('--protocol <protocol>', 'mail protocol').choices(PROTOCOLS).default('imap'));
  } else {
    command
      .option('--app <id>', 'the app registration it signs in with')
      .option('--mailbox <address>', "the mailbox address (the shared mailbox's, for a delegate)")
      .addOption(new Option('--protocol <protocol>', 'mail protocol').choices(PROTOCOLS));
  }
  command
    .option('--host <host>', "mail server (default: the provider's)")
    .option('--port <port>', 'mail server port')
    .addOption(
      new Option('--tls <mode>', 'implicit (993, POP3 995), starttls, or none (loopback only, tests/demo)').choices(
        tls,
      ),
    )
    .option('--folder <folder>', required ? 'IMAP folder to fetch (default INBOX)' : 'IMAP folder to fetch')
    .addOption(
      new Option('--initial-sync <mode>', 'what the first IMAP cycle fetches').choices(['unseen', 'all', 'new_only']),
    )
    .option(
      '--post-fetch <action>',
      'after a message became a ticket: mark_seen, keep, delete or move:FOLDER (POP3: keep or delete)',
    )
    .option('--poll-interval <seconds>', 'seconds between polls')
    .option('--shared-via-delegate', "a shared mailbox reached with a delegate's sign-in");
  if (!required) command.option('--no-shared-via-delegate', 'the mailbox signs in itself');
  return command
    .option('--smtp', 'switch sending (SMTP with OAuth2) on for this account')
    .option('--no-smtp', 'switch sending off')
    .option('--smtp-host <host>', "SMTP submission server (default: the provider's)")
    .option('--smtp-port <port>', 'SMTP port (default 587, or 465 with implicit TLS)')
    .addOption(
      new Option('--smtp-tls <mode>', 'SMTP TLS: starttls (587), implicit (465), or none (loopback only)').choices(tls),
    )
    .option('--smtp-from <address>', 'the From address of replies (default: the mailbox; needs Send As if it differs)');
}

interface AccountView {
  readonly id: string;
  readonly appId: string;
  readonly mailbox: string;
  readonly authMode: string;
  /** Absent from an older plugin's answer (IMAP only then). */
  readonly protocol?: string;
  readonly host: string;
  readonly port: number;
  readonly tls: string;
  readonly folder: string;
  readonly status: string;
  /** `polling` / `waiting_for_other_process` while a poll lease is held; absent from an older plugin's answer. */
  readonly activity?: string | null;
  readonly leaseOwner?: string | null;
  readonly leaseUntil?: number | null;
  readonly statusCode: string | null;
  readonly detail: string | null;
  readonly authorizedIdentity: string | null;
  readonly lastPollAt: number | null;
  readonly sharedViaDelegate: boolean;
}

/** What the account is doing: its status, or, while connected and leased, the poll going on. */
function shownStatus(account: AccountView): string {
  if (account.status === 'connected' && account.activity === 'polling') return 'polling';
  if (account.status === 'connected' && account.activity === 'waiting_for_other_process')
    return 'waiting for another process';
  return `${account.status}${account.statusCode ? ` [${account.statusCode}]` : ''}`;
}

function line(account: AccountView): string {
  const where =
    account.protocol === 'pop3'
      ? `app ${account.appId}, POP3 ${account.host}:${account.port} ${account.tls}`
      : `app ${account.appId}, ${account.host}:${account.port} ${account.tls}, folder ${account.folder}`;
  return `account ${account.id} ${account.mailbox} (${where}): ${shownStatus(account)}`;
}

function leaseLine(account: AccountView): string[] {
  if (!account.activity || !account.leaseOwner || !account.leaseUntil) return [];
  return [`  poll lease held by ${account.leaseOwner} until ${new Date(account.leaseUntil).toISOString()}`];
}

/** The auth modes as the console names them. */
const AUTH_OPTION_VALUES: Readonly<Record<string, string>> = {
  delegated: 'delegated',
  app_only: 'app-only',
  service_account: 'service-account',
};

function details(account: AccountView): string[] {
  const delegate = account.sharedViaDelegate ? ' (delegate of a shared mailbox)' : '';
  return [
    line(account),
    ...leaseLine(account),
    `  tokens: ${AUTH_OPTION_VALUES[account.authMode] ?? account.authMode}`,
    ...(account.detail ? [`  ${account.detail}`] : []),
    ...(account.authorizedIdentity ? [`  signed in as ${account.authorizedIdentity}${delegate}`] : []),
    `  last poll: ${account.lastPollAt ? new Date(account.lastPollAt).toISOString() : 'never'}`,
  ];
}

/**
 * Registers the `account` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const account = program.command('account').description('Mail accounts fetched with OAuth2');

  accountOptions(
    account.command('add').description("Add a mail account; host, port and TLS default to the provider's mail server"),
    true,
  ).action(async (options: AccountOptions) => {
    const form = accountForm({
      ...options,
      folder: options.folder ?? 'INBOX',
      sharedViaDelegate: options.sharedViaDelegate === true,
    });
    const body = await context.withHost((host) => callPluginApi(host, context, 'POST', '/api/accounts', form), {
      activatePlugins: true,
    });
    const created = body.account as AccountView;
    context.output(created, [`Added ${line(created)}`, `Connect it: oauth2-mail account connect ${created.id}`]);
  });

  accountOptions(
    account
      .command('update <id>')
      .description('Change a mail account: only the options given change (the rest stays as stored)'),
    false,
  ).action(async (id: string, options: AccountOptions) => {
    // The update route is partial: a field left out keeps its stored value, so only what is given is sent.
    const form = accountForm(options);
    const path = `/api/accounts/${encodeURIComponent(id)}/update`;
    const body = await context.withHost((host) => callPluginApi(host, context, 'POST', path, form), {
      activatePlugins: true,
    });
    const updated = body.account as AccountView;
    context.output(updated, `Updated ${line(updated)}`);
  });

  account
    .command('list')
    .description('List the mail accounts with their status')
    .option('--app <id>', 'only the accounts of this app')
    .action(async (options: { app?: string }) => {
      const body = await context.withHost((host) => callPluginApi(host, context, 'GET', '/api/accounts'), {
        activatePlugins: true,
      });
      const accounts = (body.accounts as AccountView[]).filter((a) => !options.app || a.appId === options.app);
      context.output(
        accounts,
        accounts.length === 0 ? 'No mail account yet (oauth2-mail account add …).' : accounts.map(line),
      );
    });

  account
    .command('show <id>')
    .description('Show an account: status, status code, detail, who signed in, last poll')
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'GET', `/api/accounts/${encodeURIComponent(id)}`),
        { activatePlugins: true },
      );
      context.output(body.account, details(body.account as AccountView));
    });

  account
    .command('test <id>')
    .description(
      'Test connection step by step: provider endpoints, a token obtained now, mail server login, folders, open ' +
        'folder, one message header, SMTP login when sending is on; exits 1 when a step fails',
    )
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'POST', `/api/accounts/${encodeURIComponent(id)}/test`),
        { activatePlugins: true },
      );
      const test = body.test as { ok: boolean; steps: TestStepView[] };
      context.output(test, [
        `Connection test of account ${id}: ${test.ok ? 'everything works' : 'a step failed'}`,
        ...test.steps.flatMap(stepLines),
      ]);
      if (!test.ok) context.setExitCode(1);
    });

  account
    .command('events <id>')
    .description('The history of an account, newest first: time, kind, words (status changes, failures, tokens)')
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'GET', `/api/accounts/${encodeURIComponent(id)}/events`),
        { activatePlugins: true },
      );
      const events = (body.events as EventView[]).map((e) => ({
        at: e.at,
        time: new Date(e.at).toISOString(),
        kind: e.type,
        code: e.code,
        text: e.message,
        ...(e.words ? { what: e.words.what, details: e.words.details } : {}),
      }));
      context.output(
        events,
        events.length === 0 ? `No event recorded for account ${id}.` : (body.events as EventView[]).map(eventLine),
      );
    });

  account
    .command('connect <id>')
    .description(
      'Connect / Re-authorize: prints the URL to open in a browser (valid 10 minutes); --device: a code to enter ' +
        "on any device, waiting until the sign-in ends; app-only and service-account accounts: the app's token, no browser",
    )
    .option(
      '--base-url <url>',
      'public URL of the running helpdesk (the redirect URI is built from it); default OAUTH2_MAIL_BASE_URL',
    )
    .option('--device', 'sign in with a code on any device (device flow), and wait for it')
    .action(async (id: string, options: { baseUrl?: string; device?: boolean }) => {
      const path = `/api/accounts/${encodeURIComponent(id)}`;
      if (options.device) {
        const body = await context.withHost(
          async (host) => {
            const started = await callPluginApi(host, context, 'POST', `${path}/device`);
            const signIn = started.deviceSignIn as { verificationUri: string; userCode: string; expiresAt: number };
            context.jsonLine({
              verificationUri: signIn.verificationUri,
              userCode: signIn.userCode,
              expiresAt: signIn.expiresAt,
            });
            context.say(`Open ${signIn.verificationUri} on any device and enter the code ${signIn.userCode}`);
            context.say(`(valid until ${new Date(signIn.expiresAt).toISOString()}); waiting for the sign-in …`);
            return callPluginApi(host, context, 'POST', `${path}/device-wait`);
          },
          { activatePlugins: true, publicBaseUrl: options.baseUrl },
        );
        context.output(body.account, details(body.account as AccountView));
        return;
      }
      const body = await context.withHost(
        async (host) => {
          const answer = await callPluginApi(host, context, 'POST', `${path}/connect`);
          if (answer.authorizationUrl) context.warnIfDefaultBaseUrl(host);
          return answer;
        },
        { activatePlugins: true, publicBaseUrl: options.baseUrl },
      );
      if (body.account) {
        context.output(body.account, details(body.account as AccountView));
        return;
      }
      const url = body.authorizationUrl as string;
      context.output({ authorizationUrl: url, expiresAt: body.expiresAt }, [
        'Open this URL in a browser and sign in (valid for 10 minutes):',
        url,
        'The provider sends the browser back to the running helpdesk, which completes Connect.',
      ]);
    });

  account
    .command('disconnect <id>')
    .description('Revoke the grant where the provider supports it and delete the tokens')
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'POST', `/api/accounts/${encodeURIComponent(id)}/disconnect`),
        { activatePlugins: true },
      );
      const result = body as { revoked: boolean; revocationSupported: boolean; warning: string | null };
      const how = result.revoked
        ? 'the provider revoked the grant'
        : result.revocationSupported
          ? `the revocation was not confirmed (${result.warning ?? 'no answer'})`
          : 'the provider has no revocation endpoint';
      context.output(body, `Disconnected account ${id}: tokens deleted, ${how}.`);
    });

  account
    .command('remove <id>')
    .description('Disconnect and remove a mail account')
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'POST', `/api/accounts/${encodeURIComponent(id)}/remove`),
        { activatePlugins: true },
      );
      context.output(body, `Removed account ${id}`);
    });
}
