/**
 * What is happening to an account's mail right now, read from its poll lease (docs/architecture.md#poll-cycle): a
 * poll in this process, or a lease another process holds. Shown instead of "connected" while the lease is live, so
 * the screen never says "connected" while nothing fetches; it goes back by itself once the lease is released or
 * lapses.
 */
import { isLeaseOwnerOfThisProcess, leaseOwnerIsGone, parseLeaseOwnerId } from '../lease-owner';
import type { MailAccount } from '../ports/account-repository';

/** `polling`: this process polls it now; `waiting_for_other_process`: another process holds its lease. */
export type AccountActivity = 'polling' | 'waiting_for_other_process';

/** The live lease of an account and who holds it. */
export interface AccountActivityInfo {
  readonly activity: AccountActivity;
  readonly owner: string;
  /** Epoch ms: when the lease lapses unless renewed. */
  readonly until: number;
  /** The holder is a process on this host that is gone: the next cycle here takes its lease over. */
  readonly ownerGone: boolean;
}

/**
 * The account's activity, or null when no live lease is held.
 * @param account - the account as stored (with its lease)
 * @param now - epoch ms
 */
export function accountActivity(account: Pick<MailAccount, 'lease'>, now: number): AccountActivityInfo | null {
  const lease = account.lease;
  if (lease === null || lease.until < now) return null;
  const ours = isLeaseOwnerOfThisProcess(lease.owner);
  return {
    activity: ours ? 'polling' : 'waiting_for_other_process',
    owner: lease.owner,
    until: lease.until,
    ownerGone: !ours && leaseOwnerIsGone(lease.owner),
  };
}

/** "host db-1, process 4242" for an id of the plugin's form, else the id itself. */
export function leaseHolderWords(owner: string): string {
  const parsed = parseLeaseOwnerId(owner);
  return parsed ? `host ${parsed.host}, process ${parsed.pid}` : owner;
}
