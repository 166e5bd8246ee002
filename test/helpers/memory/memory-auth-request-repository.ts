import { PluginError } from '../../../plugin/errors';
import type { AuthRequest, AuthRequestRepository } from '../../../plugin/ports/auth-request-repository';
import type { MemoryStore } from './memory-store';

/** {@link AuthRequestRepository} in a {@link MemoryStore}: single use, gone with its account. */
export class MemoryAuthRequestRepository implements AuthRequestRepository {
  /** @param store - the database */
  constructor(private readonly store: MemoryStore) {}

  /** Test view: the stored requests by state hash (the verifier in plain text: nothing is sealed in memory). */
  get requests(): ReadonlyMap<string, AuthRequest> {
    return this.store.authRequests;
  }

  /** @throws PluginError ERR_NOT_FOUND for an unknown account, ERR_CONFLICT for a state hash already stored */
  async create(request: Omit<AuthRequest, 'consumedAt'>): Promise<void> {
    this.store.requireAccount(request.accountId);
    if (this.store.authRequests.has(request.stateHash))
      throw new PluginError('ERR_CONFLICT', 'An item with the same key already exists.');
    this.store.authRequests.set(request.stateHash, { ...request, consumedAt: null });
  }

  async find(stateHash: string): Promise<AuthRequest | null> {
    const request = this.store.authRequests.get(stateHash);
    return request ? { ...request } : null;
  }

  async consume(stateHash: string, at: number): Promise<boolean> {
    const request = this.store.authRequests.get(stateHash);
    if (!request || request.consumedAt !== null) return false;
    this.store.authRequests.set(stateHash, { ...request, consumedAt: at });
    return true;
  }

  /** Deletes the requests that expired before `before`; @returns how many */
  async purgeExpired(before: number): Promise<number> {
    let purged = 0;
    for (const [hash, request] of this.store.authRequests) {
      if (request.expiresAt < before) {
        this.store.authRequests.delete(hash);
        purged++;
      }
    }
    return purged;
  }
}
