/**
 * One poll of one account (docs/architecture.md, "Poll cycle" and "Failure semantics"): token -> connect -> open
 * folder -> folder sync, with one token refresh and reconnect when the server refuses or ends the session for an
 * expired token; then the account's status, one notification per incident, and the next poll time (backoff on
 * failure).
 */
import { mailConnectionOf } from '../accounts/mail-connection';
import { ERROR_CODES, isPluginError, PluginError, toPluginError, type PluginErrorCode } from '../errors';
import type { AccessTokenProvider } from '../oauth/access-token-provider';
import { explainAppMailboxRefusal } from '../oauth/credential-errors';
import { connectedDetail } from '../oauth/identity';
import type { AccountRepository, AccountStatus, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { EventLog } from '../ports/event-log';
import type { LoggerPort, NotifyPort } from '../ports/host';
import type { MailConnectionOptions, MailFetcher } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import { ROUTE_PATHS } from '../admin/admin-paths';
import { accountIncidentKey } from '../oauth/account-incidents';
import { isAppLevelCode, type AppIncidents } from '../oauth/app-incidents';
import { accountFailureNotification, postActionIncidentKey } from './account-incidents';
import type { AccountPollResult } from './account-poll-result';
import { backoffDelayMs } from './backoff';
import type { FetchSettings } from './fetch-settings';
import { emptyCounts, type FolderSync, throwIfAborted, type FolderSyncCounts } from './folder-sync';
import type { Pop3Sync } from './pop3-sync';
import { pollResultWords } from './poll-result-words';

/** What the poller needs. */
export interface AccountPollerDeps {
  readonly accounts: AccountRepository;
  readonly tokens: AccessTokenProvider;
  /** App-level errors are one incident per app, not one per account. */
  readonly appIncidents: Pick<AppIncidents, 'failed' | 'isOpen'>;
  readonly fetcher: MailFetcher;
  readonly folderSync: FolderSync;
  /** POP3 accounts: the POP3 client and the maildrop loop (without them, a POP3 account's poll fails). */
  readonly pop3?: { readonly fetcher: Pop3Fetcher; readonly sync: Pop3Sync };
  readonly notify: NotifyPort;
  readonly events: EventLog;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly settings: FetchSettings;
  /** Jitter source for the backoff. */
  readonly random?: () => number;
}

/** Why a poll was stopped from outside. */
export type PollStopReason = 'timeout' | 'shutdown' | 'lease_lost';

const STOP_MESSAGES: Readonly<Record<PollStopReason, string>> = {
  timeout: 'The account poll took longer than fetch.accountTimeoutSeconds.',
  shutdown: 'The host is shutting down.',
  lease_lost: "The account's poll lease was lost; another process polls it now.",
};

/** A poll stopped from outside (the abort reason of the poll's signal). */
export class PollStopped extends Error {
  constructor(readonly why: PollStopReason) {
    super(STOP_MESSAGES[why]);
    this.name = 'PollStopped';
  }
}

/** How one poll runs. */
export interface PollOptions {
  /** The account lease the poll runs under: every ledger write is made only while it is still held. */
  readonly leaseOwner?: string;
}

function stoppedFor(signal: AbortSignal, why: PollStopReason): boolean {
  return signal.aborted && signal.reason instanceof PollStopped && signal.reason.why === why;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_S = 60;

/** A connected mailbox of either protocol: its message loop, then the end of the session. */
interface OpenedMailbox {
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Polls one account; never throws (every failure becomes the account's status and the result). */
export class AccountPoller {
  constructor(private readonly deps: AccountPollerDeps) {}

  /**
   * Polls `account` once.
   * @param account - the account as read when the cycle started
   * @param signal - aborted with a {@link PollStopped} reason on timeout, shutdown or a lost lease
   * @param options - the lease the poll runs under
   */
  async poll(account: MailAccount, signal: AbortSignal, options: PollOptions = {}): Promise<AccountPollResult> {
    const logger = this.deps.logger.child({ accountId: account.id });
    const startedAt = this.deps.clock.now();
    const counts = emptyCounts();
    try {
      await this.fetch(account, signal, counts, options);
    } catch (caught) {
      if (stoppedFor(signal, 'shutdown')) {
        logger.info('poll stopped by shutdown; it resumes next time', { fetched: counts.fetched });
        // Not a failure: the account is due again at once (the ledger counted what was fetched).
        if (counts.fetched > 0) {
          await this.bestEffort(account, 'record the stopped poll', () =>
            this.deps.accounts.recordPoll(account.id, {
              at: startedAt,
              nextPollAt: this.deps.clock.now(),
              succeeded: true,
            }),
          );
        }
        return this.result(account, 'aborted', counts, account.status);
      }
      if (stoppedFor(signal, 'lease_lost') || (isPluginError(caught) && caught.code === 'ERR_LEASE_LOST')) {
        // Another process holds the account now and records its own poll; nothing of ours is written any more.
        logger.warn('poll stopped: another process took over the account', { fetched: counts.fetched });
        return this.result(account, 'busy', counts, account.status);
      }
      const error =
        signal.aborted && signal.reason instanceof PollStopped
          ? new PluginError(
              'ERR_TIMEOUT',
              `The poll of ${account.mailbox} took longer than ${this.deps.settings.accountTimeoutSeconds} s; ` +
                'it continues on the next cycle.',
            )
          : account.authMode === 'delegated'
            ? toPluginError(caught)
            : explainAppMailboxRefusal(toPluginError(caught), account.mailbox);
      logger.warn('poll failed', { code: error.code, detail: error.message });
      const status = await this.onFailure(account, error, startedAt);
      return this.result(account, 'failed', counts, status, error);
    }
    const status = await this.onSuccess(account, startedAt, counts);
    return this.result(account, 'polled', counts, status, counts.postActionError ?? undefined);
  }

  private async fetch(
    account: MailAccount,
    signal: AbortSignal,
    counts: FolderSyncCounts,
    options: PollOptions,
  ): Promise<void> {
    // One forced refresh per poll: after the server refused the token or ended the session because it expired.
    let forceRefresh = false;
    for (;;) {
      throwIfAborted(signal);
      const grant = await this.deps.tokens.getAccessToken(account.id, { forceRefresh, signal });
      throwIfAborted(signal);
      let mailbox: OpenedMailbox;
      try {
        mailbox = await this.open(
          account,
          mailConnectionOf(account, grant.accessToken, {
            caCertPem: this.deps.settings.caCertPem,
            timeoutMs: Math.min(
              this.deps.settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
              this.deps.settings.accountTimeoutSeconds * 1000,
            ),
            commandTimeoutMs:
              Math.min(
                this.deps.settings.commandTimeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_S,
                this.deps.settings.accountTimeoutSeconds,
              ) * 1000,
          }),
          signal,
          counts,
          options,
        );
      } catch (error) {
        throwIfAborted(signal);
        if (
          !forceRefresh &&
          isPluginError(error) &&
          (error.code === 'ERR_MAIL_AUTH_FAILED' || error.code === 'ERR_MAIL_TOKEN_EXPIRED')
        ) {
          this.deps.logger.info('mail server refused the access token; refreshing it once', {
            accountId: account.id,
            code: error.code,
          });
          forceRefresh = true;
          continue;
        }
        throw error;
      }
      try {
        await mailbox.sync();
        return;
      } catch (error) {
        throwIfAborted(signal);
        if (!forceRefresh && isPluginError(error) && error.code === 'ERR_MAIL_TOKEN_EXPIRED') {
          this.deps.logger.info('mail server ended the session: token expired; refreshing and reconnecting', {
            accountId: account.id,
          });
          forceRefresh = true;
          continue;
        }
        throw error;
      } finally {
        await mailbox.close();
      }
    }
  }

  /** Connects with the account's protocol; the session's loop is run by `sync`. */
  private async open(
    account: MailAccount,
    connection: MailConnectionOptions,
    signal: AbortSignal,
    counts: FolderSyncCounts,
    options: PollOptions,
  ): Promise<OpenedMailbox> {
    if (account.protocol === 'pop3') {
      const pop3 = this.deps.pop3;
      if (!pop3) throw new PluginError('ERR_INTERNAL', 'POP3 is not wired into this poller.');
      const session = await pop3.fetcher.connect(connection, signal);
      return {
        sync: () => pop3.sync.run({ account, session, signal, counts, ...options }).then(() => undefined),
        close: () => session.close(),
      };
    }
    const session = await this.deps.fetcher.connect(connection, signal);
    return {
      sync: async () => {
        const folder = await session.openFolder(account.folder);
        await this.deps.folderSync.run({ account, session, folder, signal, counts, ...options });
      },
      close: () => session.close(),
    };
  }

  /**
   * The mail came with a still-valid token while the app is refused: one new token request tells whether the admin
   * fixed the app meanwhile (a token that works ends the app incident), so the account recovers within this cycle.
   * @returns the account's status afterwards
   */
  private async retryAppToken(account: MailAccount): Promise<AccountStatus> {
    try {
      await this.deps.tokens.getAccessToken(account.id, { forceRefresh: true });
    } catch {
      // Still refused: the app incident stays open (the token service recorded the refusal).
      return account.status;
    }
    return ((await this.deps.accounts.find(account.id)) ?? account).status;
  }

  private async onSuccess(account: MailAccount, startedAt: number, counts: FolderSyncCounts): Promise<AccountStatus> {
    const now = this.deps.clock.now();
    let status = account.status;
    await this.bestEffort(account, 'record the poll', async () => {
      await this.deps.accounts.recordPoll(account.id, {
        at: startedAt,
        nextPollAt: now + account.pollIntervalSeconds * 1000,
        succeeded: true,
      });
      const current = (await this.deps.accounts.find(account.id)) ?? account;
      // A still-valid access token fetches while the app is refused; only a token request that works ends that.
      const appRefused =
        current.status === 'app_error' &&
        isAppLevelCode(current.statusCode) &&
        (await this.deps.appIncidents.isOpen(current.appId));
      if (appRefused) {
        status = await this.retryAppToken(current);
      } else if (current.status !== 'connected' || current.statusCode !== null) {
        const previousStatus = current.statusCode ? `${current.status}: ${current.statusCode}` : current.status;
        await this.deps.accounts.setStatus(account.id, {
          status: 'connected',
          statusCode: null,
          statusDetail: connectedDetail(current.authorizedIdentity, current.mailbox),
        });
        await this.deps.events.record({
          at: now,
          type: 'status_changed',
          accountId: account.id,
          appId: account.appId,
          actorId: null,
          code: null,
          message: `Mail account ${account.mailbox} fetches again (was ${previousStatus}).`,
        });
        if (current.statusCode) await this.deps.notify.resolve(accountIncidentKey(account.id, current.statusCode));
      }
      if (!appRefused) status = 'connected';
      const fetchedWords = pollResultWords(counts);
      if (fetchedWords)
        await this.deps.events.record({
          at: now,
          type: 'messages_fetched',
          accountId: account.id,
          appId: account.appId,
          actorId: null,
          code: null,
          message: fetchedWords,
        });
      if (counts.postActionError) {
        await this.deps.notify.notify({
          key: postActionIncidentKey(account.id),
          severity: 'warning',
          title: `Mail account ${account.mailbox}: the post-fetch action failed`,
          message:
            `${counts.postActionError.message} Messages were made into tickets; the action is retried every cycle. ` +
            `What to do: ${ERROR_CODES.ERR_MAIL_OPERATION_FAILED.fix}`,
          path: ROUTE_PATHS.accounts,
        });
      } else {
        await this.deps.notify.resolve(postActionIncidentKey(account.id));
      }
    });
    return status;
  }

  private async onFailure(account: MailAccount, error: PluginError, startedAt: number): Promise<AccountStatus> {
    const now = this.deps.clock.now();
    // A code without a status of its own (an internal error, a second token expiry) still means "not fetching": retrying.
    const status: AccountStatus = ERROR_CODES[error.code].status ?? 'retrying';
    await this.bestEffort(account, 'record the failure', async () => {
      await this.deps.accounts.recordPoll(account.id, {
        at: startedAt,
        nextPollAt:
          now + backoffDelayMs(account.failureCount + 1, account.pollIntervalSeconds * 1000, this.deps.random),
        succeeded: false,
      });
      // Re-read: the token service may already have recorded this incident (status, event, notification).
      const current = (await this.deps.accounts.find(account.id)) ?? account;
      if (current.status === status && current.statusCode === error.code) return;
      if (status === 'app_error') {
        await this.deps.appIncidents.failed(current, error);
        return;
      }
      await this.deps.accounts.setStatus(account.id, { status, statusCode: error.code, statusDetail: error.message });
      await this.deps.events.record({
        at: now,
        type: 'poll_failed',
        accountId: account.id,
        appId: account.appId,
        actorId: null,
        code: error.code,
        message: error.message,
      });
      if (current.statusCode && current.statusCode !== error.code)
        await this.deps.notify.resolve(accountIncidentKey(account.id, current.statusCode));
      await this.deps.notify.notify(accountFailureNotification(account, error.code, error.message));
    });
    return status;
  }

  private async bestEffort(account: MailAccount, what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.deps.logger.error(`could not ${what}`, { accountId: account.id, code: toPluginError(error).code });
    }
  }

  private result(
    account: MailAccount,
    outcome: AccountPollResult['outcome'],
    counts: FolderSyncCounts,
    status: AccountStatus,
    error?: PluginError,
  ): AccountPollResult {
    return {
      accountId: account.id,
      mailbox: account.mailbox,
      outcome,
      fetched: counts.fetched,
      duplicates: counts.duplicates,
      skipped: counts.skipped,
      failed: counts.failed,
      quarantined: counts.quarantined,
      status,
      ...(error ? { error: { code: error.code as PluginErrorCode, message: error.message } } : {}),
    };
  }
}
