import { PluginError } from '../../../plugin/errors';
import type { StoredToken, TokenRepository, TokenWrite } from '../../../plugin/ports/token-repository';
import type { MemoryStore } from './memory-store';

/** {@link TokenRepository} in a {@link MemoryStore}: the compare-and-swap and the refresh lease of the knex one. */
export class MemoryTokenRepository implements TokenRepository {
  /** Test knob: the next compareAndSwap fails like a lost database connection. */
  failNextWrite = false;

  /** @param store - the database */
  constructor(private readonly store: MemoryStore) {}

  async find(accountId: string): Promise<StoredToken | null> {
    const row = this.store.tokens.get(accountId);
    return row ? { ...row.token } : null;
  }

  /** A new grant: version + 1 (1 for the first), obtained and refreshed now, the lease cleared. */
  async replace(accountId: string, write: TokenWrite): Promise<StoredToken> {
    this.store.requireAccount(accountId);
    const token: StoredToken = {
      accountId,
      accessToken: write.accessToken,
      accessTokenExpiresAt: write.accessTokenExpiresAt,
      refreshToken: write.refreshToken,
      scope: write.scope,
      version: (this.store.tokens.get(accountId)?.token.version ?? 0) + 1,
      obtainedAt: write.at,
      refreshedAt: write.at,
    };
    this.store.tokens.set(accountId, { token, leaseOwner: null, leaseUntil: null });
    return { ...token };
  }

  /** Writes only on `expectedVersion`; keeps `obtainedAt`, sets `refreshedAt`, clears the lease. */
  async compareAndSwap(accountId: string, expectedVersion: number, write: TokenWrite): Promise<StoredToken | null> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new PluginError('ERR_DATABASE_UNAVAILABLE', 'The database connection was lost.');
    }
    const row = this.store.tokens.get(accountId);
    if (!row || row.token.version !== expectedVersion) return null;
    const token: StoredToken = {
      ...row.token,
      accessToken: write.accessToken,
      accessTokenExpiresAt: write.accessTokenExpiresAt,
      refreshToken: write.refreshToken,
      scope: write.scope,
      version: expectedVersion + 1,
      refreshedAt: write.at,
    };
    this.store.tokens.set(accountId, { token, leaseOwner: null, leaseUntil: null });
    return { ...token };
  }

  /** Takes the lease when there are tokens and no live lease of another owner (expired = before `now`). */
  async acquireRefreshLease(accountId: string, owner: string, until: number, now: number): Promise<boolean> {
    const row = this.store.tokens.get(accountId);
    if (!row) return false;
    const free = row.leaseOwner === null || row.leaseUntil === null || row.leaseUntil < now || row.leaseOwner === owner;
    if (free) this.store.tokens.set(accountId, { ...row, leaseOwner: owner, leaseUntil: until });
    return free;
  }

  async releaseRefreshLease(accountId: string, owner: string): Promise<void> {
    const row = this.store.tokens.get(accountId);
    if (row && row.leaseOwner === owner)
      this.store.tokens.set(accountId, { ...row, leaseOwner: null, leaseUntil: null });
  }

  async delete(accountId: string): Promise<void> {
    this.store.tokens.delete(accountId);
  }
}
