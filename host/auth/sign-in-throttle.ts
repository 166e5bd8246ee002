/**
 * Failed sign-ins, throttled per account (the e-mail typed, whether or not such a user exists) and per client
 * address, in `host_sign_in_throttle`, so every process of the helpdesk sees the same counts and a restart forgets
 * nothing. After a few free failures each further one makes the next attempt wait longer (doubling), then the subject
 * is locked for a while; the lock ends by itself. An attempt is counted before its password is checked (and given
 * back when it succeeds), so a burst of parallel guesses cannot all pass the check before the first is counted.
 * Subjects are stored only as sha256 digests.
 */
import type { Knex } from 'knex';
import { PluginError } from '../../plugin/index';
import { isUniqueViolation, toMillis } from '../db-errors';
import { sha256Hex } from './tokens';

/** How failures of one kind of subject are throttled. */
export interface ThrottlePolicy {
  /** Failures answered without any wait. */
  readonly freeFailures: number;
  /** The wait after the first failure past the free ones; it doubles with each further failure. */
  readonly firstWaitMs: number;
  /** The longest wait before the lock. */
  readonly maxWaitMs: number;
  /** At this many failures the subject is locked … */
  readonly lockAfterFailures: number;
  /** … for this long (each further failure after the lock locks it again). */
  readonly lockMs: number;
  /** Failures no longer count once the last one is this old. */
  readonly forgetAfterMs: number;
  /** The row is deleted (by purgeForgotten) once the last failure is this old; for accounts, the unreported go with it. */
  readonly keepRowMs: number;
}

const MINUTE = 60_000;

/**
 * Per account: 5 free failures, then waits of 1, 2, 4, 8 and 16 s, locked for 15 minutes at the 10th; a successful
 * sign-in clears the count (and reports it); a day without failures forgets them; unreported failures are kept for
 * 30 days.
 */
export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  firstWaitMs: 1000,
  maxWaitMs: MINUTE,
  lockAfterFailures: 10,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 24 * 60 * MINUTE,
  keepRowMs: 30 * 24 * 60 * MINUTE,
};

/**
 * Per client address (several people may share one): 20 free failures, then waits doubling from 1 s up to a minute,
 * locked for 15 minutes at the 50th; an hour without failures forgets them. A success from the address does not clear
 * them, so signing in to an account of one's own does not buy more guesses at others.
 */
export const ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  firstWaitMs: 1000,
  maxWaitMs: MINUTE,
  lockAfterFailures: 50,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 60 * MINUTE,
  keepRowMs: 60 * MINUTE,
};

/** The throttling table. */
export const THROTTLE_TABLE = 'host_sign_in_throttle';

type Scope = 'account' | 'address';

/** One subject's row. */
interface ThrottleRow {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly blockedUntil: number;
  readonly unreportedFailures: number;
  readonly unreportedSince: number | null;
}

/** A counted attempt, to settle with {@link SignInThrottle.succeeded} when its password was right. */
export interface SignInAttempt {
  readonly accountId: string;
  readonly addressId: string;
}

/** Failures of an account since its previous successful sign-in. */
export interface FailureReport {
  readonly failures: number;
  /** When the first of them happened, epoch ms. */
  readonly since: number;
}

/**
 * How long a subject with `failures` counted failures waits before its next attempt.
 * @param policy - the subject's policy
 * @param failures - failures counted so far
 */
export function waitAfter(policy: ThrottlePolicy, failures: number): number {
  if (failures >= policy.lockAfterFailures) return policy.lockMs;
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** (failures - policy.freeFailures));
}

function toRow(row: Record<string, unknown>): ThrottleRow {
  return {
    failures: Number(row.failures),
    lastFailureAt: toMillis(row.last_failure_at),
    blockedUntil: toMillis(row.blocked_until),
    unreportedFailures: Number(row.unreported_failures),
    unreportedSince: row.unreported_since === null ? null : toMillis(row.unreported_since),
  };
}

/** How often a counted attempt is retried when other requests change the same row at the same moment. */
const CONTENDED_TRIES = 8;

/** `host_sign_in_throttle`. */
export class SignInThrottle {
  /**
   * @param knex - the host database
   * @param now - clock, epoch ms
   * @param policies - per account and per address
   */
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
    private readonly policies: { readonly account: ThrottlePolicy; readonly address: ThrottlePolicy } = {
      account: ACCOUNT_POLICY,
      address: ADDRESS_POLICY,
    },
  ) {}

  /**
   * Counts a sign-in attempt before its password is checked, or refuses it while the account or the address waits.
   * Known and unknown accounts are treated alike.
   * @param account - the e-mail as typed (normalized here)
   * @param address - the client's address
   * @throws PluginError ERR_RATE_LIMITED with `retryAfterSeconds` (nothing was counted)
   */
  async begin(account: string, address: string): Promise<SignInAttempt> {
    const attempt: SignInAttempt = {
      accountId: subjectId('account', account.trim().toLowerCase()),
      addressId: subjectId('address', address),
    };
    const at = this.now();
    const [accountRow, addressRow] = await Promise.all([this.read(attempt.accountId), this.read(attempt.addressId)]);
    const blockedUntil = Math.max(
      this.blockedUntil(this.policies.account, accountRow, at),
      this.blockedUntil(this.policies.address, addressRow, at),
    );
    if (blockedUntil > at) throw rateLimited(blockedUntil - at);
    const addressWait = await this.count('address', attempt.addressId, at);
    if (addressWait > 0) throw rateLimited(addressWait);
    const accountWait = await this.count('account', attempt.accountId, at);
    if (accountWait > 0) {
      await this.giveBack(attempt.addressId);
      throw rateLimited(accountWait);
    }
    return attempt;
  }

  /**
   * The attempt's password was right: clears the account's failures (and returns them if there were any) and gives the
   * address its attempt back.
   * @param attempt - from {@link begin}
   */
  async succeeded(attempt: SignInAttempt): Promise<FailureReport | null> {
    await this.giveBack(attempt.addressId);
    const row = await this.read(attempt.accountId);
    await this.knex(THROTTLE_TABLE).where({ id: attempt.accountId }).delete();
    // This attempt was counted as a failure until now.
    const failures = (row?.unreportedFailures ?? 1) - 1;
    return failures > 0 && row?.unreportedSince != null ? { failures, since: row.unreportedSince } : null;
  }

  /** Deletes the rows kept long enough (see keepRowMs) that wait no more; returns how many. */
  async purgeForgotten(): Promise<number> {
    const at = this.now();
    return this.knex(THROTTLE_TABLE)
      .where('blocked_until', '<=', at)
      .andWhere((old) =>
        old
          .where((q) =>
            q.where({ scope: 'account' }).andWhere('last_failure_at', '<', at - this.policies.account.keepRowMs),
          )
          .orWhere((q) =>
            q.where({ scope: 'address' }).andWhere('last_failure_at', '<', at - this.policies.address.keepRowMs),
          ),
      )
      .delete();
  }

  private async read(id: string): Promise<ThrottleRow | undefined> {
    const row: Record<string, unknown> | undefined = await this.knex(THROTTLE_TABLE).where({ id }).first();
    return row ? toRow(row) : undefined;
  }

  private blockedUntil(policy: ThrottlePolicy, row: ThrottleRow | undefined, at: number): number {
    if (!row || at - row.lastFailureAt >= policy.forgetAfterMs) return 0;
    return row.blockedUntil;
  }

  /**
   * Counts one failure for the subject unless it must wait (another request may have counted one since it was read).
   * Optimistic: the UPDATE applies only to the row as it was read, so concurrent requests and processes each count.
   * @returns 0 when counted, else how many ms it must wait
   */
  private async count(scope: Scope, id: string, at: number): Promise<number> {
    const policy = this.policies[scope];
    for (let tried = 0; tried < CONTENDED_TRIES; tried++) {
      const row = await this.read(id);
      if (!row) {
        try {
          await this.knex(THROTTLE_TABLE).insert({
            id,
            scope,
            failures: 1,
            last_failure_at: at,
            blocked_until: at + waitAfter(policy, 1),
            unreported_failures: 1,
            unreported_since: at,
          });
          return 0;
        } catch (error) {
          if (isUniqueViolation(error)) continue;
          throw error;
        }
      }
      const forgotten = at - row.lastFailureAt >= policy.forgetAfterMs;
      if (!forgotten && row.blockedUntil > at) return row.blockedUntil - at;
      const failures = (forgotten ? 0 : row.failures) + 1;
      const updated = await this.knex(THROTTLE_TABLE)
        .where({ id, failures: row.failures, last_failure_at: row.lastFailureAt })
        .update({
          failures,
          last_failure_at: at,
          blocked_until: at + waitAfter(policy, failures),
          unreported_failures: row.unreportedFailures + 1,
          unreported_since: row.unreportedSince ?? at,
        });
      if (updated === 1) return 0;
    }
    return policy.firstWaitMs;
  }

  /** Takes back one counted failure (the attempt succeeded, or was refused for the other subject). */
  private async giveBack(id: string): Promise<void> {
    await this.knex(THROTTLE_TABLE)
      .where({ id })
      .andWhere('failures', '>', 0)
      .update({
        failures: this.knex.raw('failures - 1'),
        unreported_failures: this.knex.raw('CASE WHEN unreported_failures > 0 THEN unreported_failures - 1 ELSE 0 END'),
      });
  }
}

function subjectId(scope: Scope, subject: string): string {
  return sha256Hex(`${scope}\n${subject}`);
}

function rateLimited(waitMs: number): PluginError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const words = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  return new PluginError('ERR_RATE_LIMITED', `Too many failed sign-ins; try again in ${words}.`, {
    retryAfterSeconds: seconds,
  });
}
