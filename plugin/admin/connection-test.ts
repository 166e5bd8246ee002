/**
 * "Test connection" on an account's page and `oauth2-mail account test`: provider discovery, a token obtained now
 * (a forced refresh, or a new app-only token, so a wrong client secret shows here and not an hour later), mail
 * server login, folder list, open folder, read one message header, SMTP login where sending is on. Each step's
 * result, time and (on failure) code, message and fix are shown on their own so the admin sees exactly where it
 * breaks. Nothing is downloaded or changed on the server; the token goes through the token service like any other
 * (and a dead grant changes the account status as usual). Another protocol adds its login step to the step list.
 */
import { mailConnectionOf } from '../accounts/mail-connection';
import { PluginError, toPluginError, type PluginErrorCode } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { FolderState, MailFetcher, MailSession, MessageSummary } from '../ports/mail-fetcher';
import type { AccessTokenProvider } from '../oauth/access-token-provider';
import { explainAppMailboxRefusal } from '../oauth/credential-errors';
import { diagnose } from '../diagnosis';
import { plural } from './formatting';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import { pop3ConnectionSteps } from './pop3-connection-steps';

/** The steps, in order (`messages` opens the folder, `header` reads one message header). */
export type ConnectionTestStepName = 'discovery' | 'token' | 'login' | 'folders' | 'messages' | 'header' | 'smtp';

/** One step's outcome: `ok`, `failed`, or `skipped` because an earlier step failed. */
export interface ConnectionTestStep {
  readonly step: ConnectionTestStepName;
  readonly title: string;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  /** What was found (ok) or what went wrong (failed); secret-free. */
  readonly detail: string;
  /** How long the step took (0 when skipped). */
  readonly ms: number;
  readonly error?: { readonly code: PluginErrorCode; readonly message: string; readonly fix: string };
}

/** The whole test. */
export interface ConnectionTestResult {
  readonly accountId: string;
  readonly at: number;
  readonly ok: boolean;
  readonly steps: readonly ConnectionTestStep[];
}

/** Dependencies of {@link ConnectionTester}. */
export interface ConnectionTesterDeps {
  readonly tokens: AccessTokenProvider;
  readonly mailFetcher: MailFetcher;
  /** POP3 accounts: token -> login -> STAT (pop3-connection-steps.ts). */
  readonly pop3Fetcher?: Pop3Fetcher;
  readonly clock: Clock;
  /** Extra CA for the mail server (private servers, tests). */
  readonly caCertPem?: string | null;
  /** Connection + greeting timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** SMTP login for accounts that send (the send service); without it the step is not offered. */
  readonly smtp?: { verify(accountId: string): Promise<void> };
  /**
   * Resolves the provider's endpoints of the account's app (discovery where the app has an issuer) and says what
   * was found; without it the step is not offered.
   */
  readonly discover?: (account: MailAccount) => Promise<string>;
  /**
   * For a refused login (ERR_MAIL_AUTH_FAILED) of a delegated account: which cause of the error table's row the
   * granted scope points at (`scope_missing`, `protocol_disabled`), or null when it cannot tell.
   */
  readonly loginRefusalCause?: (account: MailAccount) => Promise<string | null>;
}

const TITLES: Readonly<Record<ConnectionTestStepName, string>> = {
  discovery: 'Provider endpoints',
  token: 'Access token (obtained now)',
  login: 'Mail server login',
  folders: 'Folder list',
  messages: 'Open folder',
  header: 'Read one message header',
  smtp: 'SMTP login (sending)',
};

const ORDER: readonly ConnectionTestStepName[] = [
  'discovery',
  'token',
  'login',
  'folders',
  'messages',
  'header',
  'smtp',
];

/** A test's result as `oauth2-mail account test --json` prints it. */
export interface ConnectionTestJson {
  readonly ok: boolean;
  readonly steps: ReadonlyArray<{
    readonly name: ConnectionTestStepName;
    readonly ok: boolean;
    readonly ms: number;
    readonly skipped?: true;
    readonly detail: string;
    readonly code?: PluginErrorCode;
    readonly message?: string;
    readonly fix?: string;
  }>;
}

/** The JSON form of a result: one entry per step, the code, message and fix of a failed one. */
export function connectionTestJson(result: ConnectionTestResult): ConnectionTestJson {
  return {
    ok: result.ok,
    steps: result.steps.map((step) => ({
      name: step.step,
      ok: step.outcome === 'ok',
      ms: step.ms,
      ...(step.outcome === 'skipped' ? { skipped: true as const } : {}),
      detail: step.detail,
      ...(step.error ? { code: step.error.code, message: step.error.message, fix: step.error.fix } : {}),
    })),
  };
}

/** What the SMTP step found. */
function smtpDetail(account: MailAccount): string {
  const { host, port, tls } = account.smtp;
  return `Logged in to ${host}:${port} (${tlsWords(tls ?? 'starttls')}) to send; nothing was sent.`;
}

/** How many folder names the result lists. */
const FOLDERS_SHOWN = 30;

/** What the token step found. */
function tokenDetail(account: MailAccount, expiresAt: number): string {
  const until = new Date(expiresAt).toISOString().slice(0, 16).replace('T', ' ');
  const how = account.authMode === 'delegated' ? 'refreshed now' : "the app's own, obtained now";
  return `A valid access token (${how}), good until ${until} UTC.`;
}

/** What the header step found. */
function headerDetail(state: FolderState, first: MessageSummary | undefined): string {
  if (!first) return `Folder "${state.path}" is empty: no header to read.`;
  const date = first.internalDate
    ? `, received ${first.internalDate.toISOString().slice(0, 16).replace('T', ' ')} UTC`
    : '';
  return `Read the header of message UID ${first.uid} (${first.size} bytes${date}); nothing was downloaded or changed.`;
}

function tlsWords(tls: MailAccount['tls']): string {
  if (tls === 'none') return 'no TLS';
  if (tls === 'starttls') return 'STARTTLS';
  return 'TLS';
}

/** What the login step found. */
function loginDetail(account: MailAccount, mechanism: string): string {
  const server = `${account.host}:${account.port} (${tlsWords(account.tls)})`;
  return `Logged in to ${server} as ${account.mailbox} with ${mechanism}.`;
}

/** What the folder step found: the first folders, and a warning when the configured one is not among them. */
function foldersDetail(account: MailAccount, folders: readonly string[]): string {
  const shown = folders.slice(0, FOLDERS_SHOWN).join(', ');
  const more = folders.length > FOLDERS_SHOWN ? ', …' : '';
  const configuredListed = folders.some(
    (folder) =>
      folder === account.folder || (account.folder.toUpperCase() === 'INBOX' && folder.toUpperCase() === 'INBOX'),
  );
  const missing = configuredListed ? '' : ` The configured folder "${account.folder}" is not among them.`;
  return `${plural(folders.length, 'folder')}: ${shown}${more}.${missing}`;
}

/** What the message step found. */
function messagesDetail(state: FolderState): string {
  const uids = `UIDVALIDITY ${state.uidValidity}, next UID ${state.uidNext}`;
  return `Folder "${state.path}" holds ${plural(state.exists, 'message')} (${uids}).`;
}

/** Runs connection tests. */
export class ConnectionTester {
  /** @param deps - token provider, mail fetcher, clock, mail CA */
  constructor(private readonly deps: ConnectionTesterDeps) {}

  /**
   * Tests one account step by step; never throws for a failing step.
   * @param account - the account as stored
   * @param signal - aborts the login
   */
  async test(account: MailAccount, signal?: AbortSignal): Promise<ConnectionTestResult> {
    const steps: ConnectionTestStep[] = [];
    let started = this.deps.clock.now();
    const elapsed = () => {
      const now = this.deps.clock.now();
      const ms = Math.max(0, now - started);
      started = now;
      return ms;
    };
    const ok = (step: ConnectionTestStepName, detail: string) =>
      steps.push({ step, title: TITLES[step], outcome: 'ok', detail, ms: elapsed() });
    const fail = (step: ConnectionTestStepName, thrown: unknown) => {
      const error = toPluginError(thrown);
      const diagnosis = diagnose(error);
      steps.push({
        step,
        title: TITLES[step],
        outcome: 'failed',
        detail: error.code === 'ERR_INTERNAL' ? diagnosis.message : error.message,
        ms: elapsed(),
        error: { code: error.code, message: diagnosis.message, fix: diagnosis.fix },
      });
    };
    let session: Pick<MailSession, 'close'> | null = null;
    try {
      if (this.deps.discover) {
        try {
          ok('discovery', await this.deps.discover(account));
        } catch (error) {
          fail('discovery', error);
          return this.finish(account, steps);
        }
      }
      // Forced: a stored token would hide a wrong or expired client secret until the next refresh.
      const grant = await this.deps.tokens
        .getAccessToken(account.id, { signal, forceRefresh: true })
        .catch((error: unknown) => {
          fail('token', error);
          return null;
        });
      if (!grant) return this.finish(account, steps);
      ok('token', tokenDetail(account, grant.expiresAt));
      session = await this.mailSteps(account, grant.accessToken, ok, fail, signal);
      if (this.sends(account)) {
        try {
          await this.deps.smtp!.verify(account.id);
          ok('smtp', smtpDetail(account));
        } catch (error) {
          fail('smtp', error);
        }
      }
      return this.finish(account, steps);
    } finally {
      await session?.close();
    }
  }

  /**
   * A refused login with the cause the granted scope points at, when it points at one. A token without the mail
   * scope is refused whatever the server calls it (Dovecot answers "Temporary authentication failure" when the
   * token names no mailbox), so a missing scope turns even a "temporary" answer into the refusal it is.
   */
  private async withCause(account: MailAccount, error: PluginError): Promise<PluginError> {
    const refusal = error.code === 'ERR_MAIL_AUTH_FAILED' || error.code === 'ERR_MAIL_UNAVAILABLE';
    if (!refusal || !this.deps.loginRefusalCause) return error;
    const cause = await this.deps.loginRefusalCause(account).catch(() => null);
    if (cause === 'scope_missing')
      return new PluginError('ERR_MAIL_AUTH_FAILED', `${error.message} The token was granted no mail scope.`, {
        ...error.details,
        cause,
      });
    if (cause && error.code === 'ERR_MAIL_AUTH_FAILED')
      return new PluginError(error.code, error.message, { ...error.details, cause });
    return error;
  }

  private sends(account: MailAccount): boolean {
    return account.smtp.enabled && this.deps.smtp !== undefined;
  }

  /** Login, folders and message count; returns the session to close (null when the login failed). */
  private async mailSteps(
    account: MailAccount,
    accessToken: string,
    ok: (step: ConnectionTestStepName, detail: string) => void,
    fail: (step: ConnectionTestStepName, thrown: unknown) => void,
    signal: AbortSignal | undefined,
  ): Promise<Pick<MailSession, 'close'> | null> {
    const connection = mailConnectionOf(account, accessToken, {
      caCertPem: this.deps.caCertPem,
      timeoutMs: this.deps.timeoutMs ?? 30_000,
    });
    if (account.protocol === 'pop3' && this.deps.pop3Fetcher)
      return pop3ConnectionSteps(this.deps.pop3Fetcher, account, connection, { ok, fail }, signal);
    let session: MailSession;
    try {
      session = await this.deps.mailFetcher.connect(connection, signal);
    } catch (error) {
      // An app's own token refused by the mailbox is the app's access to it, not a grant to re-authorize.
      fail(
        'login',
        account.authMode === 'delegated'
          ? await this.withCause(account, toPluginError(error))
          : explainAppMailboxRefusal(toPluginError(error), account.mailbox),
      );
      return null;
    }
    ok('login', loginDetail(account, session.mechanism));

    let folders: string[];
    try {
      folders = await session.listFolders();
    } catch (error) {
      fail('folders', error);
      return session;
    }
    ok('folders', foldersDetail(account, folders));

    let state: FolderState;
    try {
      state = await session.openFolder(account.folder);
    } catch (error) {
      fail('messages', error);
      return session;
    }
    ok('messages', messagesDetail(state));

    try {
      const [first] = state.exists > 0 ? await session.listMessages({ fromUid: 1, limit: 1 }) : [];
      ok('header', headerDetail(state, first));
    } catch (error) {
      fail('header', error);
    }
    return session;
  }

  private finish(account: MailAccount, steps: ConnectionTestStep[]): ConnectionTestResult {
    const done = new Set(steps.map((s) => s.step));
    const all = [...steps];
    for (const step of ORDER) {
      if (step === 'smtp' && !this.sends(account)) continue;
      if (step === 'discovery' && !this.deps.discover) continue;
      // POP3 has no headers to read without downloading: its test ends with STAT (pop3-connection-steps.ts).
      if (step === 'header' && account.protocol === 'pop3') continue;
      if (!done.has(step))
        all.push({ step, title: TITLES[step], outcome: 'skipped', detail: 'Not run: an earlier step failed.', ms: 0 });
    }
    return { accountId: account.id, at: this.deps.clock.now(), ok: all.every((s) => s.outcome === 'ok'), steps: all };
  }
}
