/** Pending authorization requests (docs/architecture.md#oauth2_mail_auth_requests): only the sha256 of `state` is stored. */

/** One Connect in progress. */
export interface AuthRequest {
  readonly stateHash: string;
  readonly accountId: string;
  readonly actorId: string;
  /** Plaintext on this side of the port; sealed by the repository. */
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly redirectUri: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

/** Storage of pending authorization requests. */
export interface AuthRequestRepository {
  create(request: Omit<AuthRequest, 'consumedAt'>): Promise<void>;
  find(stateHash: string): Promise<AuthRequest | null>;
  /** Marks it used; false when it was already consumed (single use, also across processes). */
  consume(stateHash: string, at: number): Promise<boolean>;
  /** Deletes requests that expired before `before`. */
  purgeExpired(before: number): Promise<number>;
}
