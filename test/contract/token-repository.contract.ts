import type { TokenWrite } from '../../plugin/ports/token-repository';
import { ManualClock } from '../helpers/manual-clock';
import {
  createAccount,
  UNKNOWN_IDS,
  type Repositories,
  type RepositoryContractTarget,
} from './repository-contract-target';

const T0 = 1_800_000_000_000;

function write(n: number, overrides: Partial<TokenWrite> = {}): TokenWrite {
  return {
    accessToken: `access-PLAIN-${n}`,
    accessTokenExpiresAt: T0 + n * 3_600_000,
    refreshToken: `refresh-PLAIN-${n}`,
    scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    at: T0 + n,
    ...overrides,
  };
}

/** The TokenRepository contract, including compare-and-swap and the cross-connection refresh lease. */
export function tokenRepositoryContract(target: RepositoryContractTarget): void {
  describe('TokenRepository contract', () => {
    let clock: ManualClock;
    let repos: Repositories;
    let accountId: string;
    beforeEach(async () => {
      clock = new ManualClock();
      repos = await target.fresh(clock);
      accountId = await createAccount(repos);
    });

    it('stores a grant (version 1) and reads it back; a new grant replaces it with version 2', async () => {
      expect(await repos.tokens.find(accountId)).toBeNull();
      const first = await repos.tokens.replace(accountId, write(1));
      const expected = {
        accountId,
        accessToken: 'access-PLAIN-1',
        accessTokenExpiresAt: T0 + 3_600_000,
        refreshToken: 'refresh-PLAIN-1',
        scope: write(1).scope,
        version: 1,
        obtainedAt: T0 + 1,
        refreshedAt: T0 + 1,
      };
      expect(first).toEqual(expected);
      expect(await repos.tokens.find(accountId)).toEqual(expected);
      const second = await repos.tokens.replace(accountId, write(2, { refreshToken: null, scope: null }));
      expect(second).toEqual({
        ...expected,
        accessToken: 'access-PLAIN-2',
        accessTokenExpiresAt: T0 + 7_200_000,
        refreshToken: null,
        scope: null,
        version: 2,
        obtainedAt: T0 + 2,
        refreshedAt: T0 + 2,
      });
      expect(await repos.tokens.find(accountId)).toEqual(second);
    });

    it('keeps long tokens intact', async () => {
      const accessToken = `eyJ${'a'.repeat(6000)}`;
      await repos.tokens.replace(accountId, write(1, { accessToken }));
      expect((await repos.tokens.find(accountId))?.accessToken).toBe(accessToken);
    });

    it('compare-and-swap writes only on the expected version, bumps it, keeps obtainedAt, sets refreshedAt', async () => {
      await repos.tokens.replace(accountId, write(1));
      const swapped = await repos.tokens.compareAndSwap(accountId, 1, write(2));
      expect(swapped).toMatchObject({
        accessToken: 'access-PLAIN-2',
        refreshToken: 'refresh-PLAIN-2',
        version: 2,
        obtainedAt: T0 + 1,
        refreshedAt: T0 + 2,
      });
      expect(await repos.tokens.compareAndSwap(accountId, 1, write(3))).toBeNull();
      expect(await repos.tokens.find(accountId)).toEqual(swapped);
      expect(await repos.tokens.compareAndSwap('999999', 1, write(3))).toBeNull();
    });

    it('a new grant makes an in-flight compare-and-swap fail', async () => {
      const read = await repos.tokens.replace(accountId, write(1));
      await repos.tokens.replace(accountId, write(2));
      expect(await repos.tokens.compareAndSwap(accountId, read.version, write(3))).toBeNull();
      expect((await repos.tokens.find(accountId))?.accessToken).toBe('access-PLAIN-2');
    });

    it('lets exactly one of several connections win a compare-and-swap on the same version', async () => {
      await repos.tokens.replace(accountId, write(1));
      const peers = await target.peers(4, clock);
      for (let round = 0; round < 5; round++) {
        const version = round + 1;
        const results = await Promise.all(
          peers.map((peer, i) => peer.tokens.compareAndSwap(accountId, version, write(10 * round + i))),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await repos.tokens.find(accountId)).toEqual(winners[0]);
        expect(winners[0]?.version).toBe(version + 1);
      }
    });

    it('leases the refresh to one owner at a time: renewal, expiry, release by the owner only; compare-and-swap clears it', async () => {
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-a', T0 + 30_000, T0)).toBe(false); // no tokens yet
      await repos.tokens.replace(accountId, write(1));
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-a', T0 + 30_000, T0)).toBe(true);
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-b', T0 + 30_000, T0 + 1)).toBe(false);
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-a', T0 + 40_000, T0 + 2)).toBe(true);
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-b', T0 + 90_000, T0 + 40_001)).toBe(true);
      await repos.tokens.releaseRefreshLease(accountId, 'proc-a');
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-a', T0 + 90_000, T0 + 40_002)).toBe(false);
      await repos.tokens.releaseRefreshLease(accountId, 'proc-b');
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-a', T0 + 90_000, T0 + 40_003)).toBe(true);
      expect(await repos.tokens.compareAndSwap(accountId, 1, write(2))).not.toBeNull();
      expect(await repos.tokens.acquireRefreshLease(accountId, 'proc-b', T0 + 90_000, T0 + 40_004)).toBe(true);
      for (const id of UNKNOWN_IDS) expect(await repos.tokens.acquireRefreshLease(id, 'proc-a', T0, T0)).toBe(false);
    });

    it('gives the refresh lease to exactly one of several connections claiming it at the same moment', async () => {
      await repos.tokens.replace(accountId, write(1));
      const peers = await target.peers(4, clock);
      for (let round = 0; round < 10; round++) {
        const at = T0 + round * 100_000;
        const results = await Promise.all(
          peers.map((peer, i) => peer.tokens.acquireRefreshLease(accountId, `proc-${i}`, at + 50_000, at)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const loser = (results.indexOf(true) + 1) % peers.length;
        expect(await peers[loser].tokens.acquireRefreshLease(accountId, `proc-${loser}`, at + 50_000, at + 1)).toBe(
          false,
        );
      }
    });

    it('deletes tokens; deleting twice or for unknown ids is harmless', async () => {
      await repos.tokens.replace(accountId, write(1));
      await repos.tokens.delete(accountId);
      expect(await repos.tokens.find(accountId)).toBeNull();
      expect(await repos.tokens.compareAndSwap(accountId, 1, write(2))).toBeNull();
      await repos.tokens.delete(accountId);
      for (const id of UNKNOWN_IDS) await repos.tokens.delete(id);
    });

    it('refuses tokens for an account that does not exist (ERR_NOT_FOUND), and removing the account removes its tokens', async () => {
      for (const id of ['999999', 'abc']) {
        await expect(repos.tokens.replace(id, write(1))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        expect(await repos.tokens.find(id)).toBeNull();
      }
      await repos.tokens.replace(accountId, write(1));
      await repos.accounts.remove(accountId);
      expect(await repos.tokens.find(accountId)).toBeNull();
    });
  });
}
