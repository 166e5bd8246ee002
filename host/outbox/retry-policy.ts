/**
 * When a failed attempt is tried again: exponential backoff with jitter, up to a limit of attempts
 * (docs/architecture.md#outbox).
 */

/** The retry rule of the outbox. */
export interface RetryPolicy {
  /** Delay after the first failed attempt; it doubles with each further one. */
  readonly baseDelayMs: number;
  /** The delay never grows beyond this. */
  readonly maxDelayMs: number;
  /** After this many attempts a retryable failure is final (`failed`). */
  readonly maxAttempts: number;
  /** Up to this fraction of a delay is taken off at random, so retries of many rows spread out. */
  readonly jitter: number;
}

/** 30 s doubling, capped at 1 h, 12 attempts (about 6 h of trying), up to 20 % earlier at random. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 12,
  jitter: 0.2,
};

/**
 * How long to wait after attempt number `attempt` failed.
 * @param attempt - attempts made so far (1 after the first)
 * @param policy - the rule
 * @param random - a number in [0, 1)
 * @returns milliseconds, between (1 - jitter) and 1 times min(base * 2^(attempt - 1), max)
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number): number {
  const steps = Math.max(0, Math.min(attempt - 1, 40));
  const delay = Math.min(policy.baseDelayMs * 2 ** steps, policy.maxDelayMs);
  return Math.round(delay * (1 - policy.jitter * Math.min(Math.max(random, 0), 1)));
}

/**
 * Whether a failure after attempt number `attempt` is retried.
 * @param retryable - the error table's `retryable` of the failure's code
 * @param attempt - attempts made so far
 * @param policy - the rule
 */
export function shouldRetry(retryable: boolean, attempt: number, policy: RetryPolicy): boolean {
  return retryable && attempt < policy.maxAttempts;
}
