/** The scheduled task the host runs every few seconds; the cycle itself picks the accounts that are due. */
import type { ScheduledTask } from '../ports/host';
import type { AccountPollResult } from './account-poll-result';
import type { FetchCycle } from './fetch-cycle';
import { FETCH_TASK_ID } from './fetch-settings';

/**
 * How often the host wakes the fetch task. Shorter than plugin.json's `defaultIntervalSeconds` (60) on purpose:
 * each account keeps its own interval (next_poll_at), so an account checked every 10-60 s is not held to 60.
 */
export const FETCH_TASK_INTERVAL_MS = 15_000;

/** The report of an on-demand run (`oauth2-mail poll --once`). */
export interface FetchReport {
  readonly accounts: readonly AccountPollResult[];
}

/**
 * The fetch task for `host.scheduler.schedule`. `run` polls the due accounts; `runOnce` polls now (every enabled,
 * connected account, or `options.accountId`), due or not, and returns the per-account results.
 * @param cycle - the polling cycle
 * @param intervalMs - how often the host calls `run`
 * @param onRun - called as each scheduled run starts (the heartbeat the health answer reads)
 * @example
 * host.scheduler.schedule(createFetchTask(cycle));
 */
export function createFetchTask(
  cycle: Pick<FetchCycle, 'run'>,
  intervalMs: number = FETCH_TASK_INTERVAL_MS,
  onRun?: (intervalMs: number) => Promise<void>,
): ScheduledTask {
  return {
    id: FETCH_TASK_ID,
    intervalMs,
    run: async (signal) => {
      await onRun?.(intervalMs);
      await cycle.run({ signal });
    },
    runOnce: async (signal, options): Promise<FetchReport> => {
      const accountId = options.accountId;
      const accounts = await cycle.run({ signal, includeNotDue: true, ...(accountId ? { accountId } : {}) });
      return { accounts };
    },
  };
}
