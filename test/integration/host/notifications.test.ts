/** Host notifications on every available database: one open row per plugin and key, resolve closes it. */
import pino from 'pino';
import { createKnex } from '../../../host/create-knex';
import { migrateHost } from '../../../host/host-migrations';
import { toLoggerPort } from '../../../host/logger';
import { NotificationCenter } from '../../../host/notifications';
import type { Notification } from '../../../plugin/ports/host';
import { testDatabases, type TestDatabase } from '../../helpers/databases';

jest.setTimeout(120_000);

const logger = toLoggerPort(pino({ level: 'silent' }));
const reauth = (message: string): Notification => ({
  key: 'account:1:needs_reauth',
  severity: 'error',
  title: 'Mailbox a@example.test needs re-authorization',
  message,
  path: '/accounts/1',
});

describe.each(testDatabases())('NotificationCenter on $name', (provider) => {
  let db: TestDatabase;
  let center: NotificationCenter;

  beforeAll(async () => {
    db = await provider.create();
    await migrateHost(db.knex);
    center = new NotificationCenter(db.knex, logger);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('keeps one open notification per key, updated and counted on repeats', async () => {
    await center.notify('oauth2-mail', reauth('first'));
    await center.notify('oauth2-mail', reauth('second'));
    await center.notify('other-plugin', reauth('same key, other plugin'));
    const open = await center.listOpen();
    expect(open.filter((n) => n.pluginId === 'oauth2-mail')).toEqual([
      expect.objectContaining({
        key: 'account:1:needs_reauth',
        message: 'second',
        occurrences: 2,
        path: '/accounts/1',
        severity: 'error',
      }),
    ]);
    expect(open).toHaveLength(2);
  });

  it('closes the incident on resolve and opens a new one when it comes back', async () => {
    await center.resolve('oauth2-mail', 'account:1:needs_reauth');
    expect((await center.listOpen()).map((n) => n.pluginId)).toEqual(['other-plugin']);
    await center.notify('oauth2-mail', reauth('again'));
    const reopened = (await center.listOpen()).find((n) => n.pluginId === 'oauth2-mail');
    expect(reopened).toMatchObject({ message: 'again', occurrences: 1 });
    const rows = await db.knex('host_notifications').where({ plugin_id: 'oauth2-mail' });
    expect(rows).toHaveLength(2);
  });

  it('keeps one open row when two connections notify the same new incident at once', async () => {
    const other = createKnex(db.url);
    try {
      const otherCenter = new NotificationCenter(other, logger);
      const incident: Notification = {
        key: 'app:9:secret_expired',
        severity: 'warning',
        title: 'Client secret expired',
        message: 'x',
      };
      await Promise.all([
        center.notify('oauth2-mail', incident),
        otherCenter.notify('oauth2-mail', incident),
        center.notify('oauth2-mail', incident),
      ]);
      const open = (await center.listOpen()).filter((n) => n.key === 'app:9:secret_expired');
      expect(open).toHaveLength(1);
      expect(open[0]?.occurrences).toBe(3);
    } finally {
      await other.destroy();
    }
  });
});
