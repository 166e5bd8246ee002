/**
 * "Test connection" on an account's page: token, login, folder list, message count, each step's result shown on
 * its own so the admin sees exactly where it breaks. Nothing is fetched or changed on the server; a token refresh
 * it needs goes through the token service like any other (and a dead grant changes the account status as usual).
 */
import { ERROR_CODES, toPluginError, type PluginErrorCode } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { FolderState, MailFetcher, MailSession } from '../ports/mail-fetcher';
import type { AccessTokenProvider } from '../oauth/access-token-provider';
import { explainAppMailboxRefusal } from '../oauth/credential-errors';
import { plural } from './formatting';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import { pop3ConnectionSteps } from './pop3-connection-steps';

/** The steps, in order. */
export type ConnectionTestStepName = 'token' | 'login' | 'folders' | 'messages' | 'smtp';

/** One step's outcome: `ok`, `failed`, or `skipped` because an earlier step failed. */
export interface ConnectionTestStep {
  readonly step: ConnectionTestStepName;
  readonly title: string;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  /** What was found (ok) or what went wrong (failed); secret-free. */
  readonly detail: string;
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
}

const TITLES: Readonly<Record<ConnectionTestStepName, string>> = {
  token: 'Access token',
  login: 'Mail server login',
  folders: 'Folder list',
  messages: 'Message count',
  smtp: 'SMTP login (sending)',
};

const ORDER: readonly ConnectionTestStepName[] = ['token', 'login', 'folders', 'messages', 'smtp'];

/** What the SMTP step found. */
function smtpDetail(account: MailAccount): string {
  const { host, port, tls } = account.smtp;
  return `Logged in to ${host}:${port} (${tlsWords(tls ?? 'starttls')}) to send; nothing was sent.`;
}

/** How many folder names the result lists. */
const FOLDERS_SHOWN = 30;

/** What the token step found. */
function tokenDetail(expiresAt: number): string {
  const until = new Date(expiresAt).toISOString().slice(0, 16).replace('T', ' ');
  return `A valid access token, good until ${until} UTC.`;
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
    const ok = (step: ConnectionTestStepName, detail: string) =>
      steps.push({ step, title: TITLES[step], outcome: 'ok', detail });
    const fail = (step: ConnectionTestStepName, thrown: unknown) => {
      const error = toPluginError(thrown);
      const info = ERROR_CODES[error.code];
      steps.push({
        step,
        title: TITLES[step],
        outcome: 'failed',
        detail: error.code === 'ERR_INTERNAL' ? info.message : error.message,
        error: { code: error.code, message: info.message, fix: info.fix },
      });
    };
    let session: Pick<MailSession, 'close'> | null = null;
    try {
      const grant = await this.deps.tokens.getAccessToken(account.id, { signal }).catch((error: unknown) => {
        fail('token', error);
        return null;
      });
      if (!grant) return this.finish(account, steps);
      ok('token', tokenDetail(grant.expiresAt));
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
    const connection = {
      host: account.host,
      port: account.port,
      tls: account.tls,
      user: account.mailbox,
      accessToken,
      caCertPem: this.deps.caCertPem ?? null,
      timeoutMs: this.deps.timeoutMs ?? 30_000,
    };
    if (account.protocol === 'pop3' && this.deps.pop3Fetcher)
      return pop3ConnectionSteps(this.deps.pop3Fetcher, account, connection, { ok, fail }, signal);
    let session: MailSession;
    try {
      session = await this.deps.mailFetcher.connect(connection, signal);
    } catch (error) {
      // An app's own token refused by the mailbox is the app's access to it, not a grant to re-authorize.
      fail(
        'login',
        account.authMode === 'delegated' ? error : explainAppMailboxRefusal(toPluginError(error), account.mailbox),
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

    try {
      ok('messages', messagesDetail(await session.openFolder(account.folder)));
    } catch (error) {
      fail('messages', error);
    }
    return session;
  }

  private finish(account: MailAccount, steps: ConnectionTestStep[]): ConnectionTestResult {
    const done = new Set(steps.map((s) => s.step));
    const all = [...steps];
    for (const step of ORDER) {
      if (step === 'smtp' && !this.sends(account)) continue;
      if (!done.has(step))
        all.push({ step, title: TITLES[step], outcome: 'skipped', detail: 'Not run: an earlier step failed.' });
    }
    return { accountId: account.id, at: this.deps.clock.now(), ok: all.every((s) => s.outcome === 'ok'), steps: all };
  }
}
