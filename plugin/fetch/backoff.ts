/** When a failed account is polled again: exponential backoff with jitter (docs/architecture.md#poll-cycle). */

/** The longest wait after failures, unless the account's own interval is longer. */
export const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Delay before the next poll after `failureCount` consecutive failures (this one included).
 * `interval x 2^n`, capped, then "equal jitter" (between 75 % and 100 % of it) so that accounts that
 * failed together (one mail server down) do not come back in lock step.
 * @param failureCount - consecutive failures, >= 1
 * @param intervalMs - the account's poll interval
 * @param random - a source of [0, 1) numbers (tests pass a fixed one)
 * @returns milliseconds, never below the interval
 */
export function backoffDelayMs(failureCount: number, intervalMs: number, random: () => number = Math.random): number {
  const cap = Math.max(intervalMs, MAX_BACKOFF_MS);
  const exponent = Math.min(Math.max(failureCount, 1), 20);
  const delay = Math.min(cap, intervalMs * 2 ** exponent);
  const jittered = delay * (0.75 + 0.25 * random());
  return Math.max(intervalMs, Math.round(jittered));
}
