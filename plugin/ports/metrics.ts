/**
 * The plugin's metrics (a port; adapters/prometheus implements it with prom-client on a registry of its own, never
 * the global one). Counters count in this process since it started; the gauges are read from the database when the
 * metrics are rendered. Labels carry account ids, codes and grant names, never a mailbox address, token or secret.
 */

/** What happened to fetched messages. */
export type MessageOutcome = 'ingested' | 'duplicate' | 'skipped' | 'quarantined';

/** The token grants the plugin uses. */
export type TokenGrant = 'authorization_code' | 'refresh_token' | 'client_credentials' | 'jwt_bearer' | 'device_code';

/** The state read from the database at render time. */
export interface MetricsSnapshot {
  /** Accounts per status. */
  readonly accountsByStatus: Readonly<Record<string, number>>;
  /** Per account: seconds since its last successful poll, null when it never had one. */
  readonly sinceLastSuccess: ReadonlyArray<{ readonly accountId: string; readonly seconds: number | null }>;
}

/** The metrics the plugin records and renders. */
export interface MetricsPort {
  /** Counts `count` messages of one account with this outcome. */
  messages(accountId: string, outcome: MessageOutcome, count: number): void;
  /** Counts one token request of `grant`: `ok`, or the error code it ended with. */
  tokenRequest(grant: TokenGrant, result: string): void;
  /** Counts one failed poll of an account with its code. */
  pollFailed(accountId: string, code: string): void;
  /** Observes how long one account's poll took. */
  pollDuration(accountId: string, seconds: number): void;
  /** The metrics in the Prometheus text exposition format, with the gauges set from `snapshot`. */
  render(snapshot: MetricsSnapshot): Promise<{ readonly contentType: string; readonly text: string }>;
}
