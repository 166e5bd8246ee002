/** The health verdict: ok, degraded with the account's code, failing when the database or the scheduler fails. */
import { PluginError } from '../../../plugin/errors';
import { HealthCheck } from '../../../plugin/monitoring/health-check';
import type { MailAccount } from '../../../plugin/ports/account-repository';
import type { Heartbeat } from '../../../plugin/ports/heartbeats';
import { ManualClock } from '../../helpers/manual-clock';

const clock = new ManualClock();
let heartbeat: Heartbeat | null;
let accounts: MailAccount[] | PluginError;

function account(fields: Partial<MailAccount>): MailAccount {
  return {
    id: '1',
    mailbox: 'alice@example.test',
    status: 'connected',
    statusCode: null,
    statusDetail: null,
    lastSuccessAt: clock.now() - 30_000,
    ...fields,
  } as MailAccount;
}

const check = new HealthCheck({
  accounts: {
    list: async () => {
      if (accounts instanceof PluginError) throw accounts;
      return accounts;
    },
  },
  heartbeats: { beat: async () => undefined, last: async () => heartbeat },
  clock,
  taskId: 'oauth2-mail.fetch',
});

beforeEach(() => {
  heartbeat = { taskId: 'oauth2-mail.fetch', ranAt: clock.now() - 10_000, intervalMs: 15_000, owner: 'p' };
  accounts = [account({})];
});

it('ok: the scheduler ran within its interval and every account works', async () => {
  const report = await check.report();
  expect(report).toMatchObject({
    status: 'ok',
    database: { ok: true },
    scheduler: { ok: true, ageSeconds: 10, intervalSeconds: 15 },
    accounts: { total: 1, byStatus: { connected: 1 } },
  });
  expect(report.accounts.list[0]).toMatchObject({ code: null, lastSuccessfulPollAgeSeconds: 30 });
});

it('degraded: an account with a problem, named by its code with the fix; a disabled account never counts', async () => {
  accounts = [
    account({ status: 'retrying', statusCode: 'ERR_MAIL_PORT_CLOSED', statusDetail: 'connect refused' }),
    account({ id: '2', status: 'disabled', statusCode: 'ERR_GRANT_INVALID' }),
  ];
  const report = await check.report();
  expect(report.status).toBe('degraded');
  expect(report.accounts.list[0]).toMatchObject({ code: 'ERR_MAIL_PORT_CLOSED', message: 'connect refused' });
  expect(report.accounts.list[0]!.fix).toContain('port');
  expect(report.accounts.list[1]).toMatchObject({ status: 'disabled', code: null });
});

it('failing: the scheduler stopped while accounts wait for it; only degraded when nothing waits', async () => {
  heartbeat = { ...heartbeat!, ranAt: clock.now() - 46_000 };
  expect(await check.report()).toMatchObject({ status: 'failing', scheduler: { ok: false } });
  heartbeat = null;
  expect(await check.report()).toMatchObject({ status: 'failing', scheduler: { ok: false, lastRunAt: null } });
  accounts = [];
  expect((await check.report()).status).toBe('degraded');
});

it('failing: the database does not answer', async () => {
  accounts = new PluginError('ERR_DATABASE_UNAVAILABLE');
  expect(await check.report()).toMatchObject({
    status: 'failing',
    database: { ok: false, code: 'ERR_DATABASE_UNAVAILABLE' },
  });
});
