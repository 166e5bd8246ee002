/**
 * The poll lease of one account while this process polls it (docs/architecture.md#poll-cycle): claimed with one
 * conditional UPDATE (or taken over at once from a process on this host that is gone), renewed on a heartbeat
 * while the poll runs, released after it. Short, so a process that dies on another machine frees its accounts
 * within about a minute; renewed only while still held, so two processes never poll one account.
 */
import { toPluginError } from '../errors';
import { leaseOwnerIsGone } from '../lease-owner';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';

/**
 * How long one claim or renewal lasts: what another machine waits after a crash here. Three heartbeats fit in it,
 * so two renewals can fail or be late (a loaded database) before the lease is in danger.
 */
export const ACCOUNT_LEASE_MS = 60_000;
/** How often a poll in flight renews its lease. */
export const ACCOUNT_LEASE_RENEW_EVERY_MS = 20_000;

/** The lease's timing; the defaults are {@link ACCOUNT_LEASE_MS} and {@link ACCOUNT_LEASE_RENEW_EVERY_MS}. */
export interface AccountLeaseTiming {
  readonly durationMs: number;
  readonly renewEveryMs: number;
}

/** What claiming and holding a lease needs. */
export interface AccountLeaseDeps {
  readonly accounts: Pick<AccountRepository, 'acquireLease' | 'renewLease' | 'takeOverLease' | 'releaseLease' | 'find'>;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  /** This process's owner id. */
  readonly ownerId: string;
  readonly timing?: Partial<AccountLeaseTiming>;
  /** Whether a lease owner is known to be dead; default {@link leaseOwnerIsGone} (same host, pid gone). */
  readonly ownerIsGone?: (owner: string) => boolean;
}

/** Why a held lease ended before its release. */
export type LeaseLoss = 'taken' | 'not_renewed';

/**
 * Claims the poll lease of `account` for this process: free, lapsed or ours already, or held by a process on this
 * host that is gone (taken over at once).
 * @param onLost - called once if the lease is lost while held (another process has it, or it could not be renewed
 *   before it would lapse); the poll must stop then
 * @returns the held lease, or null when another (live, or not known to be dead) process holds it
 * @throws PluginError ERR_DATABASE_UNAVAILABLE
 */
export async function claimAccountLease(
  deps: AccountLeaseDeps,
  account: Pick<MailAccount, 'id'>,
  onLost: (why: LeaseLoss) => void,
): Promise<HeldAccountLease | null> {
  const timing = { durationMs: ACCOUNT_LEASE_MS, renewEveryMs: ACCOUNT_LEASE_RENEW_EVERY_MS, ...deps.timing };
  const now = deps.clock.now();
  const until = now + timing.durationMs;
  if (await deps.accounts.acquireLease(account.id, deps.ownerId, until, now))
    return new HeldAccountLease(deps, timing, account.id, until, onLost);
  const holder = (await deps.accounts.find(account.id))?.lease ?? null;
  const isGone = deps.ownerIsGone ?? ((owner: string) => leaseOwnerIsGone(owner));
  if (holder === null || holder.owner === deps.ownerId || !isGone(holder.owner)) return null;
  if (!(await deps.accounts.takeOverLease(account.id, holder.owner, deps.ownerId, until))) return null;
  deps.logger.info('took over the poll lease of a process on this host that is gone', {
    accountId: account.id,
    previousOwner: holder.owner,
  });
  return new HeldAccountLease(deps, timing, account.id, until, onLost);
}

/** A lease this process holds: renewed every `renewEveryMs` until {@link HeldAccountLease.release}. */
export class HeldAccountLease {
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private renewing = false;
  private lost = false;
  private released = false;

  /** @internal use {@link claimAccountLease} */
  constructor(
    private readonly deps: AccountLeaseDeps,
    private readonly timing: AccountLeaseTiming,
    private readonly accountId: string,
    private until: number,
    private readonly onLost: (why: LeaseLoss) => void,
  ) {
    this.heartbeat = setInterval(() => void this.renew(), timing.renewEveryMs);
    // A heartbeat never keeps the host process alive on its own.
    this.heartbeat.unref?.();
  }

  /** Until when the lease is known to be held (the last successful claim or renewal). */
  get validUntil(): number {
    return this.until;
  }

  /** Stops the heartbeat and gives the lease up (a failure is logged: the lease lapses by itself). */
  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.heartbeat);
    try {
      await this.deps.accounts.releaseLease(this.accountId, this.deps.ownerId);
    } catch (error) {
      this.deps.logger.warn('could not release the account lease', {
        accountId: this.accountId,
        code: toPluginError(error).code,
      });
    }
  }

  /** One heartbeat: extend the lease while it is still ours. */
  private async renew(): Promise<void> {
    if (this.renewing || this.lost || this.released) return;
    this.renewing = true;
    try {
      const until = this.deps.clock.now() + this.timing.durationMs;
      if (await this.deps.accounts.renewLease(this.accountId, this.deps.ownerId, until)) this.until = until;
      else this.lose('taken');
    } catch (error) {
      this.deps.logger.warn('could not renew the account lease; trying again at the next heartbeat', {
        accountId: this.accountId,
        code: toPluginError(error).code,
      });
      // Stop while the lease surely is still ours: the next heartbeat would come after it lapsed.
      if (this.deps.clock.now() + this.timing.renewEveryMs >= this.until) this.lose('not_renewed');
    } finally {
      this.renewing = false;
    }
  }

  private lose(why: LeaseLoss): void {
    // A renewal that lands after the release finds the lease gone: that is the release, not a loss.
    if (this.lost || this.released) return;
    this.lost = true;
    clearInterval(this.heartbeat);
    this.deps.logger.warn('the account lease was lost; the poll stops', { accountId: this.accountId, why });
    this.onLost(why);
  }
}
