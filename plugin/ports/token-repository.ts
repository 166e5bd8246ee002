/** Stored tokens of an account (docs/architecture.md#oauth2_mail_tokens). Values are plaintext on this side of the port; the repository seals them. */

/** The tokens of one account as the core uses them. */
export interface StoredToken {
  readonly accountId: string;
  readonly accessToken: string;
  /** Epoch ms. */
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string | null;
  readonly scope: string | null;
  /** Incremented by every write: the compare-and-swap guard. */
  readonly version: number;
  readonly obtainedAt: number;
  /** Last successful refresh (or the first grant), for the keep-alive rule. */
  readonly refreshedAt: number;
}

/** What a write stores. */
export interface TokenWrite {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken: string | null;
  readonly scope: string | null;
  readonly at: number;
}

/** Storage of tokens, with the compare-and-swap and the cross-process refresh lease. */
export interface TokenRepository {
  find(accountId: string): Promise<StoredToken | null>;
  /** Replaces whatever is stored (a new grant from Connect). Returns the new row. */
  replace(accountId: string, write: TokenWrite): Promise<StoredToken>;
  /**
   * Writes only when the stored version is still `expectedVersion`; also clears the refresh lease.
   * @returns the new row, or null when another writer got there first.
   */
  compareAndSwap(accountId: string, expectedVersion: number, write: TokenWrite): Promise<StoredToken | null>;
  /** Atomically takes the refresh lease when none is live. */
  acquireRefreshLease(accountId: string, owner: string, until: number, now: number): Promise<boolean>;
  releaseRefreshLease(accountId: string, owner: string): Promise<void>;
  delete(accountId: string): Promise<void>;
}
