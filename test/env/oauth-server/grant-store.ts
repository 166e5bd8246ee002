import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  model: string;
  id: string;
  payload: AdapterPayload;
  /** ms since the epoch; null: never. */
  expiresAt: number | null;
}

const isIn = (set: ReadonlySet<string>, value: string | undefined) => value !== undefined && set.has(value);

/**
 * oidc-provider's storage, in memory, with the index the control API needs to revoke everything a user holds.
 * State is lost when the server process ends, like every token it issued.
 */
export class GrantStore {
  private readonly entries = new Map<string, Entry>();
  /** Refresh-token values removed by {@link revokeAccounts}: a later use gets the "revoked" error shape. */
  private readonly revokedRefreshTokens = new Set<string>();

  /** An adapter class for oidc-provider's `adapter` setting, backed by this store. */
  adapterClass(): new (model: string) => Adapter {
    const entries = this.entries;
    return class MemoryAdapter implements Adapter {
      constructor(private readonly model: string) {}

      private key(id: string): string {
        return `${this.model}:${id}`;
      }

      async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
        entries.set(this.key(id), {
          model: this.model,
          id,
          payload: { ...payload },
          expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null,
        });
      }

      async find(id: string): Promise<AdapterPayload | undefined> {
        const entry = entries.get(this.key(id));
        if (!entry) return undefined;
        // A device code outlives its expiry here, so its poll answers expired_token (as Entra's does), not invalid_grant.
        const kept = this.model === 'DeviceCode' ? 3600_000 : 0;
        if (entry.expiresAt !== null && entry.expiresAt + kept <= Date.now()) {
          entries.delete(this.key(id));
          return undefined;
        }
        return { ...entry.payload };
      }

      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        for (const entry of entries.values())
          if (entry.model === this.model && entry.payload.userCode === userCode) return { ...entry.payload };
        return undefined;
      }

      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        for (const entry of entries.values())
          if (entry.model === this.model && entry.payload.uid === uid) return this.find(entry.id);
        return undefined;
      }

      async consume(id: string): Promise<void> {
        const entry = entries.get(this.key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id: string): Promise<void> {
        entries.delete(this.key(id));
      }

      async revokeByGrantId(grantId: string): Promise<void> {
        for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
      }
    };
  }

  /**
   * Removes every grant of these accounts and everything issued under them or to them (tokens, sessions), clients
   * excepted.
   * @returns the number of grants removed
   */
  revokeAccounts(accountIds: ReadonlySet<string>): number {
    const grantIds = new Set<string>();
    for (const entry of this.entries.values()) {
      if (entry.model === 'Grant' && isIn(accountIds, entry.payload.accountId)) grantIds.add(entry.id);
    }
    for (const [key, entry] of this.entries) {
      const ownedByUser = isIn(accountIds, entry.payload.accountId);
      if (isIn(grantIds, entry.payload.grantId) || (ownedByUser && entry.model !== 'Client')) {
        if (entry.model === 'RefreshToken') this.revokedRefreshTokens.add(entry.id);
        this.entries.delete(key);
      }
    }
    return grantIds.size;
  }

  /** Whether this refresh-token value was removed by {@link revokeAccounts}. */
  wasRevoked(refreshToken: unknown): boolean {
    return typeof refreshToken === 'string' && this.revokedRefreshTokens.has(refreshToken);
  }
}
