/**
 * The health answer for monitoring (`GET <plugin base>/health`, `oauth2-mail health`): overall `ok`, `degraded` or
 * `failing`, whether the database answers, whether the scheduler ran the fetch task within its interval, and per
 * account its status, current problem code (with the table's message and fix) and the age of its last successful
 * poll. `failing` (HTTP 503): the database does not answer, or the scheduler stopped while accounts wait for it
 * (no mail is fetched at all); `degraded` (200): some account has a problem (its code says which), or the
 * scheduler stopped with nothing to fetch; `ok` (200) otherwise. Disabled accounts are listed but never count.
 */
import { diagnose } from '../diagnosis';
import { isPluginError, type PluginErrorCode } from '../errors';
import type { AccountRepository, AccountStatus, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { Heartbeats } from '../ports/heartbeats';

/** The overall verdict. */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** One account in the health answer. */
export interface AccountHealth {
  readonly id: string;
  readonly mailbox: string;
  readonly status: AccountStatus;
  /** The current problem's code, null when there is none. */
  readonly code: string | null;
  readonly message: string | null;
  readonly fix: string | null;
  /** Seconds since the last successful poll; null when it never had one. */
  readonly lastSuccessfulPollAgeSeconds: number | null;
}

/** The health answer. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly at: string;
  readonly database: { readonly ok: boolean; readonly code?: string };
  readonly scheduler: {
    /** The fetch task started a run within its allowed interval. */
    readonly ok: boolean;
    readonly lastRunAt: string | null;
    readonly ageSeconds: number | null;
    readonly intervalSeconds: number | null;
  };
  readonly accounts: {
    readonly total: number;
    readonly byStatus: Readonly<Partial<Record<AccountStatus, number>>>;
    readonly list: readonly AccountHealth[];
  };
}

/** A run is late after this many intervals without one (a cycle may take longer than one interval). */
export const SCHEDULER_LATE_AFTER_INTERVALS = 3;

/** Dependencies of {@link HealthCheck}. */
export interface HealthCheckDeps {
  readonly accounts: Pick<AccountRepository, 'list'>;
  readonly heartbeats: Heartbeats;
  readonly clock: Clock;
  /** The scheduled task whose runs tell that the scheduler works. */
  readonly taskId: string;
}

/** The problem of an account, or null when it works. */
function problemOf(account: MailAccount): PluginErrorCode | 'ERR_NOT_CONNECTED' | null {
  if (account.status === 'connected') return (account.statusCode as PluginErrorCode | null) ?? null;
  if (account.status === 'not_connected') return (account.statusCode as PluginErrorCode | null) ?? 'ERR_NOT_CONNECTED';
  return (account.statusCode as PluginErrorCode | null) ?? 'ERR_INTERNAL';
}

/** Computes the health answer. */
export class HealthCheck {
  /** @param deps - accounts, heartbeats, clock */
  constructor(private readonly deps: HealthCheckDeps) {}

  /** The answer now; never throws (a database failure is part of the answer). */
  async report(): Promise<HealthReport> {
    const now = this.deps.clock.now();
    let accounts: MailAccount[];
    let heartbeat;
    try {
      [accounts, heartbeat] = await Promise.all([
        this.deps.accounts.list(),
        this.deps.heartbeats.last(this.deps.taskId),
      ]);
    } catch (error) {
      const code = isPluginError(error) ? error.code : 'ERR_DATABASE_UNAVAILABLE';
      return {
        status: 'failing',
        at: new Date(now).toISOString(),
        database: { ok: false, code },
        scheduler: { ok: false, lastRunAt: null, ageSeconds: null, intervalSeconds: null },
        accounts: { total: 0, byStatus: {}, list: [] },
      };
    }
    const ageMs = heartbeat ? Math.max(0, now - heartbeat.ranAt) : null;
    const schedulerOk =
      heartbeat !== null && ageMs !== null && ageMs <= heartbeat.intervalMs * SCHEDULER_LATE_AFTER_INTERVALS;
    const byStatus: Partial<Record<AccountStatus, number>> = {};
    const list = accounts.map((account): AccountHealth => {
      byStatus[account.status] = (byStatus[account.status] ?? 0) + 1;
      const code = account.status === 'disabled' ? null : problemOf(account);
      const diagnosis = code ? diagnose(code) : null;
      return {
        id: account.id,
        mailbox: account.mailbox,
        status: account.status,
        code,
        message: code ? (account.statusDetail ?? diagnosis?.message ?? null) : null,
        fix: diagnosis?.fix ?? null,
        lastSuccessfulPollAgeSeconds:
          account.lastSuccessAt === null ? null : Math.max(0, Math.round((now - account.lastSuccessAt) / 1000)),
      };
    });
    const counted = list.filter((account) => account.status !== 'disabled');
    const troubled = counted.filter((account) => account.code !== null);
    const waiting = counted.some((account) => account.status !== 'not_connected');
    let status: HealthStatus = 'ok';
    if (troubled.length > 0 || !schedulerOk) status = 'degraded';
    if (!schedulerOk && waiting) status = 'failing';
    return {
      status,
      at: new Date(now).toISOString(),
      database: { ok: true },
      scheduler: {
        ok: schedulerOk,
        lastRunAt: heartbeat ? new Date(heartbeat.ranAt).toISOString() : null,
        ageSeconds: ageMs === null ? null : Math.round(ageMs / 1000),
        intervalSeconds: heartbeat ? heartbeat.intervalMs / 1000 : null,
      },
      accounts: { total: accounts.length, byStatus, list },
    };
  }
}
