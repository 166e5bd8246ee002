/**
 * The polling cycle across accounts (docs/architecture.md#poll-cycle): due accounts, an account lease so that
 * several host processes never poll one account at once (short, renewed while the poll runs, taken over at once
 * from a dead process on this host), bounded concurrency, a per-account timeout, and the shutdown signal
 * honoured. One failing account never stops the others.
 */
import pLimit from 'p-limit';
import { PluginError, toPluginError } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import { claimAccountLease, type AccountLeaseTiming, type HeldAccountLease } from './account-lease';
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
  /** The account lease's duration and heartbeat; defaults in account-lease.ts. */
  readonly leaseTiming?: Partial<AccountLeaseTiming>;
  /** Whether a lease owner is known to be dead (default: same host, pid gone). */
  readonly leaseOwnerIsGone?: (owner: string) => boolean;
  /** Told every account poll's result and duration (the metrics); must not throw. */
  readonly observe?: (result: AccountPollResult, durationMs: number) => void;
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
    const results = await Promise.all(
      accounts.map((account) =>
        limit(async () => {
          const startedAt = this.deps.clock.now();
          const result = await this.pollOne(account, options.signal);
          this.deps.observe?.(result, this.deps.clock.now() - startedAt);
          return result;
        }),
      ),
    );
    if (results.length > 0)
      this.deps.logger.info('fetch cycle done', {
        accounts: results.length,
        polled: results.filter((r) => r.outcome === 'polled').length,
        // Accounts another process holds (or took over during the poll).
        busy: results.filter((r) => r.outcome === 'busy').length,
        fetched: results.reduce((sum, r) => sum + r.fetched, 0),
        failed: results.reduce((sum, r) => sum + r.failed, 0),
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
    if (cycleSignal.aborted) return idle(account, 'aborted');
    const controller = new AbortController();
    let lease: HeldAccountLease | null;
    try {
      lease = await claimAccountLease(
        {
          accounts: this.deps.accounts,
          clock: this.deps.clock,
          logger: this.deps.logger,
          ownerId: this.deps.ownerId,
          ...(this.deps.leaseTiming ? { timing: this.deps.leaseTiming } : {}),
          ...(this.deps.leaseOwnerIsGone ? { ownerIsGone: this.deps.leaseOwnerIsGone } : {}),
        },
        account,
        () => controller.abort(new PollStopped('lease_lost')),
      );
    } catch (error) {
      const failure = toPluginError(error);
      this.deps.logger.warn('could not claim the account lease', { accountId: account.id, code: failure.code });
      return { ...idle(account, 'failed'), error: { code: failure.code, message: failure.message } };
    }
    if (!lease) {
      this.deps.logger.debug('account is being polled by another process', { accountId: account.id });
      return idle(account, 'busy');
    }
    const timer = setTimeout(() => controller.abort(new PollStopped('timeout')), timeoutMs);
    const onShutdown = () => controller.abort(new PollStopped('shutdown'));
    cycleSignal.addEventListener('abort', onShutdown, { once: true });
    try {
      return await this.deps.poller.poll(account, controller.signal, { leaseOwner: this.deps.ownerId });
    } finally {
      clearTimeout(timer);
      cycleSignal.removeEventListener('abort', onShutdown);
      await lease.release();
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
