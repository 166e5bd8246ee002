/**
 * The polling cycle across accounts (docs/architecture.md#poll-cycle): due accounts, an account lease so that
 * several host processes never poll one account at once, bounded concurrency, a per-account timeout, and
 * the shutdown signal honoured. One failing account never stops the others.
 */
import pLimit from 'p-limit';
import { PluginError, toPluginError } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import type { AccountPollResult } from './account-poll-result';
import { PollStopped, type AccountPoller } from './account-poller';
import type { FetchSettings } from './fetch-settings';

/** What the cycle needs. */
export interface FetchCycleDeps {
  readonly accounts: AccountRepository;
  readonly poller: Pick<AccountPoller, 'poll'>;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly settings: FetchSettings;
  /** This process's lease owner id (unique per process). */
  readonly ownerId: string;
  /** Runs at the start of a cycle (the token keep-alive), at most once per `beforeCycleEveryMs`; its failure is logged and the cycle goes on. */
  readonly beforeCycle?: (signal: AbortSignal) => Promise<void>;
  /** Default 10 minutes: the keep-alive counts idle days, so checking it every few seconds would only cost queries. */
  readonly beforeCycleEveryMs?: number;
}

/** What one cycle polls. */
export interface FetchCycleOptions {
  /** Aborted at shutdown: polls in flight stop and resume next time. */
  readonly signal: AbortSignal;
  /** Poll this account now, due or not (the console's `--account`). */
  readonly accountId?: string;
  /** Poll every enabled, connected account now, due or not (the console's `poll --once`). */
  readonly includeNotDue?: boolean;
}

/** The lease outlives the per-account timeout by this much, so a poll finishing its last write is never overtaken. */
const LEASE_GRACE_MS = 30_000;
/** At most this many due accounts are taken per cycle; the rest are due again on the next one. */
const DUE_LIMIT = 1000;

/** Runs poll cycles. */
export class FetchCycle {
  private lastBeforeCycleAt: number | null = null;

  constructor(private readonly deps: FetchCycleDeps) {}

  /**
   * One cycle: every due account (or the one asked for), at most `concurrency` at a time.
   * @returns one result per account considered, in the order they were listed
   * @throws PluginError ERR_NOT_FOUND when `accountId` names no account; ERR_INPUT_INVALID when it is disabled
   */
  async run(options: FetchCycleOptions): Promise<AccountPollResult[]> {
    const now = this.deps.clock.now();
    const every = this.deps.beforeCycleEveryMs ?? 10 * 60_000;
    if (
      this.deps.beforeCycle &&
      options.accountId === undefined &&
      (this.lastBeforeCycleAt === null || now - this.lastBeforeCycleAt >= every)
    ) {
      this.lastBeforeCycleAt = now;
      try {
        await this.deps.beforeCycle(options.signal);
      } catch (error) {
        this.deps.logger.warn('pre-cycle task failed', { code: toPluginError(error).code });
      }
    }
    const accounts = await this.select(options.accountId, options.includeNotDue ?? false);
    const limit = pLimit(Math.max(1, this.deps.settings.concurrency));
    const results = await Promise.all(accounts.map((account) => limit(() => this.pollOne(account, options.signal))));
    const totals = results.reduce((sum, r) => ({ fetched: sum.fetched + r.fetched, failed: sum.failed + r.failed }), {
      fetched: 0,
      failed: 0,
    });
    if (results.length > 0)
      this.deps.logger.info('fetch cycle done', {
        accounts: results.length,
        fetched: totals.fetched,
        failed: totals.failed,
      });
    return results;
  }

  private async select(accountId: string | undefined, includeNotDue: boolean): Promise<MailAccount[]> {
    if (accountId !== undefined) {
      const account = await this.deps.accounts.find(accountId);
      if (!account) throw new PluginError('ERR_NOT_FOUND', `No mail account with id ${accountId}.`, { accountId });
      if (!account.enabled)
        throw new PluginError('ERR_INPUT_INVALID', `Mail account ${account.mailbox} is disabled; enable it first.`, {
          accountId,
        });
      return [account];
    }
    const due = includeNotDue
      ? await this.deps.accounts.list()
      : await this.deps.accounts.listDue(this.deps.clock.now(), DUE_LIMIT);
    // Never connected (or disconnected) accounts wait for the admin's Connect, not for the scheduler.
    return due.filter(
      (account) => account.enabled && account.status !== 'not_connected' && account.status !== 'disabled',
    );
  }

  private async pollOne(account: MailAccount, cycleSignal: AbortSignal): Promise<AccountPollResult> {
    const timeoutMs = this.deps.settings.accountTimeoutSeconds * 1000;
    const now = this.deps.clock.now();
    if (cycleSignal.aborted) return idle(account, 'aborted');
    let leased: boolean;
    try {
      leased = await this.deps.accounts.acquireLease(
        account.id,
        this.deps.ownerId,
        now + timeoutMs + LEASE_GRACE_MS,
        now,
      );
    } catch (error) {
      const failure = toPluginError(error);
      this.deps.logger.warn('could not claim the account lease', { accountId: account.id, code: failure.code });
      return { ...idle(account, 'failed'), error: { code: failure.code, message: failure.message } };
    }
    if (!leased) {
      this.deps.logger.debug('account is being polled by another process', { accountId: account.id });
      return idle(account, 'busy');
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new PollStopped('timeout')), timeoutMs);
    const onShutdown = () => controller.abort(new PollStopped('shutdown'));
    cycleSignal.addEventListener('abort', onShutdown, { once: true });
    try {
      return await this.deps.poller.poll(account, controller.signal);
    } finally {
      clearTimeout(timer);
      cycleSignal.removeEventListener('abort', onShutdown);
      try {
        await this.deps.accounts.releaseLease(account.id, this.deps.ownerId);
      } catch (error) {
        // The lease lapses by itself; the next cycle can take it then.
        this.deps.logger.warn('could not release the account lease', {
          accountId: account.id,
          code: toPluginError(error).code,
        });
      }
    }
  }
}

function idle(account: MailAccount, outcome: AccountPollResult['outcome']): AccountPollResult {
  return {
    accountId: account.id,
    mailbox: account.mailbox,
    outcome,
    fetched: 0,
    duplicates: 0,
    skipped: 0,
    failed: 0,
    quarantined: 0,
    status: account.status,
  };
}
