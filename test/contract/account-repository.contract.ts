import { ManualClock } from '../helpers/manual-clock';
import {
  accountInput,
  appInput,
  UNKNOWN_IDS,
  type Repositories,
  type RepositoryContractTarget,
} from './repository-contract-target';

/** The AccountRepository contract, including due accounts and the poll lease. */
export function accountRepositoryContract(target: RepositoryContractTarget): void {
  describe('AccountRepository contract', () => {
    let clock: ManualClock;
    let repos: Repositories;
    let appId: string;
    beforeEach(async () => {
      clock = new ManualClock();
      repos = await target.fresh(clock);
      appId = (await repos.apps.create(appInput())).id;
    });

    it('creates an account with defaults, status not_connected and zero counters', async () => {
      const account = await repos.accounts.create(accountInput(appId));
      expect(account).toEqual({
        id: expect.stringMatching(/^\d+$/),
        appId,
        mailbox: 'support@contoso.example',
        authMode: 'delegated',
        protocol: 'imap',
        host: 'outlook.office365.com',
        port: 993,
        tls: 'implicit',
        folder: 'INBOX',
        initialSync: 'unseen',
        postFetch: 'mark_seen',
        pollIntervalSeconds: 60,
        sharedViaDelegate: false,
        smtp: { enabled: false, host: null, port: null, tls: null, from: null },
        enabled: true,
        status: 'not_connected',
        statusCode: null,
        statusDetail: null,
        authorizedIdentity: null,
        lastPollAt: null,
        lastSuccessAt: null,
        nextPollAt: null,
        failureCount: 0,
        messagesFetched: 0,
        lease: null,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      expect(await repos.accounts.find(account.id)).toEqual(account);
    });

    it('keeps every field an admin sets, booleans included', async () => {
      const input = accountInput(appId, {
        mailbox: `${'x'.repeat(64)}@${'d'.repeat(200)}.example`,
        folder: 'Support/Inbox',
        initialSync: 'all',
        postFetch: 'move:Archive/Tickets',
        pollIntervalSeconds: 300,
        sharedViaDelegate: true,
        enabled: false,
        tls: 'starttls',
        port: 143,
      });
      const account = await repos.accounts.create(input);
      const { appId: _a, ...fields } = input;
      expect(await repos.accounts.find(account.id)).toMatchObject(fields);
    });

    it('keeps the auth mode; an update without one keeps it', async () => {
      const account = await repos.accounts.create(accountInput(appId, { authMode: 'app_only' }));
      expect(account.authMode).toBe('app_only');
      const updated = await repos.accounts.update(account.id, accountInput(appId, { folder: 'Other' }));
      expect(updated).toMatchObject({ authMode: 'app_only', folder: 'Other' });
      const changed = await repos.accounts.update(account.id, accountInput(appId, { authMode: 'service_account' }));
      expect((await repos.accounts.find(changed.id))?.authMode).toBe('service_account');
    });

    it('keeps the sending settings, switches them off and on again', async () => {
      const smtp = {
        enabled: true,
        host: 'smtp.office365.com',
        port: 587,
        tls: 'starttls',
        from: 'help@contoso.example',
      };
      const account = await repos.accounts.create(accountInput(appId, { smtp: { ...smtp, tls: 'starttls' as const } }));
      expect((await repos.accounts.find(account.id))?.smtp).toEqual(smtp);
      const off = { enabled: false, host: null, port: null, tls: null, from: null };
      await repos.accounts.update(account.id, accountInput(appId, { smtp: off }));
      expect((await repos.accounts.find(account.id))?.smtp).toEqual(off);
      await repos.accounts.update(account.id, accountInput(appId));
      expect((await repos.accounts.find(account.id))?.smtp).toEqual(off);
    });

    it('refuses an account for an app that does not exist (ERR_NOT_FOUND) and stores nothing', async () => {
      for (const id of ['999999', 'abc']) {
        await expect(repos.accounts.create(accountInput(id))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      }
      expect(await repos.accounts.list()).toEqual([]);
    });

    it('updates the given fields, keeps omitted optional ones, and refuses unknown accounts or apps', async () => {
      const account = await repos.accounts.create(accountInput(appId, { folder: 'Helpdesk', enabled: false }));
      clock.advance(500);
      const updated = await repos.accounts.update(
        account.id,
        accountInput(appId, { host: 'imap.example.org', port: 1993 }),
      );
      expect(updated).toEqual({ ...account, host: 'imap.example.org', port: 1993, updatedAt: account.createdAt + 500 });
      const otherApp = await repos.apps.create(appInput({ name: 'Other' }));
      expect((await repos.accounts.update(account.id, accountInput(otherApp.id))).appId).toBe(otherApp.id);
      await expect(repos.accounts.update(account.id, accountInput('999999'))).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
      });
      expect((await repos.accounts.find(account.id))?.appId).toBe(otherApp.id);
      for (const id of UNKNOWN_IDS) {
        await expect(repos.accounts.update(id, accountInput(appId))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        expect(await repos.accounts.find(id)).toBeNull();
      }
    });

    it('lists all accounts or those of one app, oldest first', async () => {
      const otherApp = await repos.apps.create(appInput({ name: 'Other' }));
      const a = await repos.accounts.create(accountInput(appId, { mailbox: 'a@x.example' }));
      const b = await repos.accounts.create(accountInput(otherApp.id, { mailbox: 'b@x.example' }));
      const c = await repos.accounts.create(accountInput(appId, { mailbox: 'c@x.example' }));
      expect((await repos.accounts.list()).map((x) => x.id)).toEqual([a.id, b.id, c.id]);
      expect((await repos.accounts.list({ appId })).map((x) => x.id)).toEqual([a.id, c.id]);
      expect(await repos.accounts.list({ appId: 'abc' })).toEqual([]);
    });

    it('sets the status: a new status clears the old reason, the authorized identity stays unless given', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const connected = await repos.accounts.setStatus(id, {
        status: 'connected',
        authorizedIdentity: 'agent@contoso.example',
      });
      expect(connected).toMatchObject({
        status: 'connected',
        statusCode: null,
        statusDetail: null,
        authorizedIdentity: 'agent@contoso.example',
      });
      await repos.accounts.setStatus(id, {
        status: 'needs_reauth',
        statusCode: 'ERR_GRANT_INVALID',
        statusDetail: 'AADSTS70008',
      });
      expect(await repos.accounts.find(id)).toMatchObject({
        status: 'needs_reauth',
        statusCode: 'ERR_GRANT_INVALID',
        statusDetail: 'AADSTS70008',
        authorizedIdentity: 'agent@contoso.example',
      });
      await repos.accounts.setStatus(id, { status: 'connected' });
      expect(await repos.accounts.find(id)).toMatchObject({
        status: 'connected',
        statusCode: null,
        statusDetail: null,
        authorizedIdentity: 'agent@contoso.example',
      });
      await repos.accounts.setStatus(id, { status: 'not_connected', authorizedIdentity: null });
      expect((await repos.accounts.find(id))?.authorizedIdentity).toBeNull();
      await expect(repos.accounts.setStatus('999999', { status: 'connected' })).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
      });
    });

    it("records polls: failures count up, a success resets them; the fetched counter is the ledger's", async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const t = 1_800_000_000_000;
      await repos.accounts.recordPoll(id, { at: t, nextPollAt: t + 60_000, succeeded: false });
      await repos.accounts.recordPoll(id, { at: t + 1, nextPollAt: t + 120_000, succeeded: false });
      expect(await repos.accounts.find(id)).toMatchObject({
        lastPollAt: t + 1,
        nextPollAt: t + 120_000,
        failureCount: 2,
        lastSuccessAt: null,
        messagesFetched: 0,
      });
      await repos.accounts.recordPoll(id, { at: t + 2, nextPollAt: t + 180_000, succeeded: true });
      expect(await repos.accounts.find(id)).toMatchObject({
        lastPollAt: t + 2,
        nextPollAt: t + 180_000,
        failureCount: 0,
        lastSuccessAt: t + 2,
        messagesFetched: 0,
      });
      await expect(
        repos.accounts.recordPoll('999999', { at: t, nextPollAt: t, succeeded: true }),
      ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    });

    it('lists due accounts: enabled, never polled or due by now; never-polled first, then oldest; limited', async () => {
      const now = 1_800_000_000_000;
      const make = async (mailbox: string, nextPollAt: number | null, enabled = true): Promise<string> => {
        const { id } = await repos.accounts.create(accountInput(appId, { mailbox, enabled }));
        if (nextPollAt !== null)
          await repos.accounts.recordPoll(id, { at: now - 100_000, nextPollAt, succeeded: true });
        return id;
      };
      const dueLate = await make('late@x.example', now - 10);
      const dueEarly = await make('early@x.example', now - 50_000);
      const never = await make('never@x.example', null);
      const dueExactly = await make('exact@x.example', now);
      await make('future@x.example', now + 1);
      await make('disabled@x.example', null, false);
      expect((await repos.accounts.listDue(now, 10)).map((a) => a.id)).toEqual([never, dueEarly, dueLate, dueExactly]);
      expect((await repos.accounts.listDue(now, 2)).map((a) => a.id)).toEqual([never, dueEarly]);
      expect(await repos.accounts.listDue(now, 0)).toEqual([]);
    });

    it('leases an account to one owner at a time; renewal by the owner, takeover after expiry, release by the owner only', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const now = 1_800_000_000_000;
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 30_000, now)).toBe(true);
      expect(await repos.accounts.acquireLease(id, 'proc-b', now + 30_000, now + 1)).toBe(false);
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 30_000, now + 2)).toBe(true);
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 60_000, now + 2)).toBe(true);
      expect(await repos.accounts.acquireLease(id, 'proc-b', now + 90_000, now + 59_999)).toBe(false);
      expect(await repos.accounts.acquireLease(id, 'proc-b', now + 90_000, now + 60_001)).toBe(true);
      await repos.accounts.releaseLease(id, 'proc-a');
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 90_000, now + 60_002)).toBe(false);
      await repos.accounts.releaseLease(id, 'proc-b');
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 90_000, now + 60_003)).toBe(true);
      expect(await repos.accounts.acquireLease('999999', 'proc-a', now, now)).toBe(false);
    });

    it('shows the lease on the account while it is held, and none once released', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const now = 1_800_000_000_000;
      await repos.accounts.acquireLease(id, 'host-a:4242:0a1b', now + 60_000, now);
      expect((await repos.accounts.find(id))?.lease).toEqual({ owner: 'host-a:4242:0a1b', until: now + 60_000 });
      expect((await repos.accounts.list()).find((a) => a.id === id)?.lease).toEqual({
        owner: 'host-a:4242:0a1b',
        until: now + 60_000,
      });
      await repos.accounts.releaseLease(id, 'host-a:4242:0a1b');
      expect((await repos.accounts.find(id))?.lease).toBeNull();
    });

    it('renews a lease only for the owner that holds it, lapsed or not; never one another owner took or that was released', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const now = 1_800_000_000_000;
      expect(await repos.accounts.acquireLease(id, 'proc-a', now + 60_000, now)).toBe(true);
      expect(await repos.accounts.renewLease(id, 'proc-a', now + 80_000)).toBe(true);
      expect((await repos.accounts.find(id))?.lease).toEqual({ owner: 'proc-a', until: now + 80_000 });
      expect(await repos.accounts.renewLease(id, 'proc-b', now + 90_000)).toBe(false);
      expect((await repos.accounts.find(id))?.lease).toEqual({ owner: 'proc-a', until: now + 80_000 });
      // Lapsed but nobody took it: still proc-a's to renew.
      expect(await repos.accounts.renewLease(id, 'proc-a', now + 200_000)).toBe(true);
      expect(await repos.accounts.acquireLease(id, 'proc-b', now + 400_000, now + 200_001)).toBe(true);
      expect(await repos.accounts.renewLease(id, 'proc-a', now + 260_000)).toBe(false);
      expect((await repos.accounts.find(id))?.lease).toEqual({ owner: 'proc-b', until: now + 400_000 });
      await repos.accounts.releaseLease(id, 'proc-b');
      expect(await repos.accounts.renewLease(id, 'proc-b', now + 500_000)).toBe(false);
      expect((await repos.accounts.find(id))?.lease).toBeNull();
      expect(await repos.accounts.renewLease('999999', 'proc-a', now)).toBe(false);
    });

    it('takes a live lease over only from the named owner', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const now = 1_800_000_000_000;
      await repos.accounts.acquireLease(id, 'dead', now + 60_000, now);
      expect(await repos.accounts.takeOverLease(id, 'someone-else', 'proc-a', now + 60_001)).toBe(false);
      expect((await repos.accounts.find(id))?.lease?.owner).toBe('dead');
      expect(await repos.accounts.takeOverLease(id, 'dead', 'proc-a', now + 60_001)).toBe(true);
      expect((await repos.accounts.find(id))?.lease).toEqual({ owner: 'proc-a', until: now + 60_001 });
      expect(await repos.accounts.takeOverLease(id, 'dead', 'proc-b', now + 60_002)).toBe(false);
      expect(await repos.accounts.acquireLease(id, 'proc-b', now + 60_000, now + 1)).toBe(false);
      expect(await repos.accounts.takeOverLease('999999', 'dead', 'proc-a', now)).toBe(false);
    });

    it("gives a dead owner's lease to exactly one of several connections taking it over at once", async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const peers = await target.peers(4, clock);
      const now = 1_800_000_000_000;
      for (let round = 0; round < 4; round++) {
        const dead = `dead-${round}`;
        await repos.accounts.releaseLease(id, (await repos.accounts.find(id))?.lease?.owner ?? '');
        expect(await repos.accounts.acquireLease(id, dead, now + 60_000, now)).toBe(true);
        const results = await Promise.all(
          peers.map((peer, i) => peer.accounts.takeOverLease(id, dead, `proc-${i}`, now + 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await repos.accounts.find(id))?.lease?.owner).toBe(`proc-${results.indexOf(true)}`);
      }
    });

    it('gives the lease to exactly one of several connections claiming it at the same moment', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      const peers = await target.peers(4, clock);
      const now = 1_800_000_000_000;
      for (let round = 0; round < 8; round++) {
        const at = now + round * 100_000;
        const results = await Promise.all(
          peers.map((peer, i) => peer.accounts.acquireLease(id, `proc-${i}`, at + 50_000, at)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        // Only the winner holds it: everyone else is still refused.
        expect(
          await peers[(winner + 1) % peers.length].accounts.acquireLease(
            id,
            `proc-${(winner + 1) % peers.length}`,
            at + 50_000,
            at + 1,
          ),
        ).toBe(false);
      }
    });

    it('removes an account (a second remove and unknown ids are no-ops)', async () => {
      const { id } = await repos.accounts.create(accountInput(appId));
      await repos.accounts.remove(id);
      expect(await repos.accounts.find(id)).toBeNull();
      await repos.accounts.remove(id);
      for (const unknown of UNKNOWN_IDS) await repos.accounts.remove(unknown);
      expect(await repos.accounts.list()).toEqual([]);
    });
  });
}
