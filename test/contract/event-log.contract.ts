import type { PluginEvent } from '../../plugin/ports/event-log';
import { ManualClock } from '../helpers/manual-clock';
import { accountInput, appInput, type Repositories, type RepositoryContractTarget } from './repository-contract-target';

const T0 = 1_800_000_000_000;

function event(overrides: Partial<Omit<PluginEvent, 'id'>> = {}): Omit<PluginEvent, 'id'> {
  return {
    at: T0,
    type: 'token_refreshed',
    accountId: null,
    appId: null,
    actorId: null,
    code: null,
    message: 'Token refreshed.',
    ...overrides,
  };
}

/** The EventLog contract: append, newest first, filters, history that outlives its account. */
export function eventLogContract(target: RepositoryContractTarget): void {
  describe('EventLog contract', () => {
    let repos: Repositories;
    let appId: string;
    let accountId: string;
    beforeEach(async () => {
      repos = await target.fresh(new ManualClock());
      appId = (await repos.apps.create(appInput())).id;
      accountId = (await repos.accounts.create(accountInput(appId))).id;
    });

    it('records events and lists them newest first (same time: last recorded first), limited', async () => {
      await repos.events.record(
        event({ at: T0, type: 'connect_started', accountId, appId, actorId: 'admin-1', message: 'Connect started.' }),
      );
      await repos.events.record(
        event({
          at: T0 + 10,
          type: 'auth_failed',
          accountId,
          appId,
          code: 'ERR_GRANT_INVALID',
          message: 'AADSTS70008',
        }),
      );
      await repos.events.record(event({ at: T0 + 10, type: 'status_changed', accountId, message: 'needs_reauth' }));
      const listed = await repos.events.list({ limit: 10 });
      expect(listed.map((e) => e.type)).toEqual(['status_changed', 'auth_failed', 'connect_started']);
      expect(listed[1]).toEqual({
        id: expect.stringMatching(/^\d+$/),
        at: T0 + 10,
        type: 'auth_failed',
        accountId,
        appId,
        actorId: null,
        code: 'ERR_GRANT_INVALID',
        message: 'AADSTS70008',
      });
      expect(listed[2]).toMatchObject({ actorId: 'admin-1', code: null });
      expect((await repos.events.list({ limit: 2 })).map((e) => e.type)).toEqual(['status_changed', 'auth_failed']);
      expect(await repos.events.list({ limit: 0 })).toEqual([]);
    });

    it('filters by account and by app', async () => {
      const otherAccount = (await repos.accounts.create(accountInput(appId, { mailbox: 'other@x.example' }))).id;
      const otherApp = (await repos.apps.create(appInput({ name: 'Other' }))).id;
      await repos.events.record(event({ accountId, appId, message: 'one' }));
      await repos.events.record(event({ accountId: otherAccount, appId, message: 'two' }));
      await repos.events.record(event({ appId: otherApp, type: 'app_updated', message: 'three' }));
      expect((await repos.events.list({ accountId, limit: 10 })).map((e) => e.message)).toEqual(['one']);
      expect((await repos.events.list({ appId, limit: 10 })).map((e) => e.message).sort()).toEqual(['one', 'two']);
      expect((await repos.events.list({ appId: otherApp, limit: 10 })).map((e) => e.message)).toEqual(['three']);
      expect((await repos.events.list({ accountId: otherAccount, appId, limit: 10 })).map((e) => e.message)).toEqual([
        'two',
      ]);
      expect(await repos.events.list({ accountId: 'abc', limit: 10 })).toEqual([]);
    });

    it('keeps the history of a removed account', async () => {
      await repos.events.record(event({ accountId, type: 'account_removed', message: 'Account removed.' }));
      await repos.accounts.remove(accountId);
      expect((await repos.events.list({ accountId, limit: 10 })).map((e) => e.type)).toEqual(['account_removed']);
    });
  });
}
