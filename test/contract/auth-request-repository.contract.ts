import { createHash, randomBytes } from 'node:crypto';
import type { AuthRequest } from '../../plugin/ports/auth-request-repository';
import { ManualClock } from '../helpers/manual-clock';
import { createAccount, type Repositories, type RepositoryContractTarget } from './repository-contract-target';

const T0 = 1_800_000_000_000;

function request(accountId: string, overrides: Partial<AuthRequest> = {}): Omit<AuthRequest, 'consumedAt'> {
  return {
    stateHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
    accountId,
    actorId: 'admin-1',
    codeVerifier: `verifier-PLAIN-${randomBytes(16).toString('hex')}`,
    nonce: randomBytes(16).toString('hex'),
    redirectUri: 'https://helpdesk.example/plugins/oauth2-mail/oauth/callback',
    createdAt: T0,
    expiresAt: T0 + 600_000,
    ...overrides,
  };
}

/** The AuthRequestRepository contract: round trip, single use (also across connections), purge. */
export function authRequestRepositoryContract(target: RepositoryContractTarget): void {
  describe('AuthRequestRepository contract', () => {
    let clock: ManualClock;
    let repos: Repositories;
    let accountId: string;
    beforeEach(async () => {
      clock = new ManualClock();
      repos = await target.fresh(clock);
      accountId = await createAccount(repos);
    });

    it('stores a request and finds it by state hash, verifier opened', async () => {
      const created = request(accountId);
      await repos.authRequests.create(created);
      expect(await repos.authRequests.find(created.stateHash)).toEqual({ ...created, consumedAt: null });
      expect(await repos.authRequests.find('0'.repeat(64))).toBeNull();
    });

    it('is consumed once: the second consume is refused and the time of the first is kept', async () => {
      const created = request(accountId);
      await repos.authRequests.create(created);
      expect(await repos.authRequests.consume(created.stateHash, T0 + 5)).toBe(true);
      expect(await repos.authRequests.consume(created.stateHash, T0 + 6)).toBe(false);
      expect((await repos.authRequests.find(created.stateHash))?.consumedAt).toBe(T0 + 5);
      expect(await repos.authRequests.consume('f'.repeat(64), T0)).toBe(false);
    });

    it('lets exactly one of several connections consume it', async () => {
      const peers = await target.peers(4, clock);
      for (let round = 0; round < 5; round++) {
        const created = request(accountId);
        await repos.authRequests.create(created);
        const results = await Promise.all(
          peers.map((peer) => peer.authRequests.consume(created.stateHash, T0 + round)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      }
    });

    it('refuses a second request with the same state hash (ERR_CONFLICT), keeping the first', async () => {
      const created = request(accountId);
      await repos.authRequests.create(created);
      await expect(
        repos.authRequests.create({ ...request(accountId), stateHash: created.stateHash }),
      ).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      expect((await repos.authRequests.find(created.stateHash))?.codeVerifier).toBe(created.codeVerifier);
    });

    it('refuses a request for an account that does not exist (ERR_NOT_FOUND)', async () => {
      const created = request('999999');
      await expect(repos.authRequests.create(created)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      expect(await repos.authRequests.find(created.stateHash)).toBeNull();
    });

    it('purges requests that expired before the given time and counts them', async () => {
      const old1 = request(accountId, { expiresAt: T0 - 2 });
      const old2 = request(accountId, { expiresAt: T0 - 1 });
      const edge = request(accountId, { expiresAt: T0 });
      const live = request(accountId, { expiresAt: T0 + 600_000 });
      for (const r of [old1, old2, edge, live]) await repos.authRequests.create(r);
      expect(await repos.authRequests.purgeExpired(T0)).toBe(2);
      expect(await repos.authRequests.find(old1.stateHash)).toBeNull();
      expect(await repos.authRequests.find(old2.stateHash)).toBeNull();
      expect(await repos.authRequests.find(edge.stateHash)).not.toBeNull();
      expect(await repos.authRequests.find(live.stateHash)).not.toBeNull();
      expect(await repos.authRequests.purgeExpired(T0)).toBe(0);
    });

    it('goes away with its account', async () => {
      const created = request(accountId);
      await repos.authRequests.create(created);
      await repos.accounts.remove(accountId);
      expect(await repos.authRequests.find(created.stateHash)).toBeNull();
    });
  });
}
