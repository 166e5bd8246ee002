/**
 * The scoped HostPort one plugin gets: every service of an ungranted permission throws
 * ERR_PERMISSION_NOT_GRANTED, ingest only from a declared mail source, dispose takes back every
 * registration, shutdown hooks run once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { createKnex } from '../../../host/create-knex';
import { ContributionRegistry } from '../../../host/contribution-registry';
import { migrateHost } from '../../../host/host-migrations';
import { toLoggerPort } from '../../../host/logger';
import { NotificationCenter } from '../../../host/notifications';
import { createPluginScope, type HostServices } from '../../../host/plugin-scope';
import { Scheduler } from '../../../host/scheduler';
import { AesGcmSecrets } from '../../../host/secrets';
import { TicketStore } from '../../../host/ticket-store';
import { isPluginError } from '../../../plugin/errors';
import { KNOWN_PERMISSIONS, PluginManifest } from '../../../plugin/manifest';
import { HOST_API_VERSION } from '../../../plugin/ports/host';
import { demoManifest } from './demo-manifest';

const manifest = PluginManifest.parse(
  demoManifest({
    permissions: [...KNOWN_PERMISSIONS],
    contributes: {
      adminScreens: [{ id: 'demo-plugin.home', title: 'Demo', path: '/home' }],
      routes: [{ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin' }],
      scheduledTasks: [{ id: 'demo-plugin.tick', defaultIntervalSeconds: 60 }],
      mailSources: [{ id: 'demo-plugin.imap', title: 'IMAP' }],
      mailTransports: [{ id: 'demo-plugin.smtp', title: 'SMTP' }],
    },
  }),
);

let dir: string;
let knex: Knex;
let services: HostServices;

async function codeOf(action: () => unknown): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    return isPluginError(error) ? error.code : `not a PluginError: ${String(error)}`;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oauth2-mail-scope-'));
  knex = createKnex(join(dir, 'db.sqlite'));
  await migrateHost(knex);
  const logger = pino({ level: 'silent' });
  services = {
    knex,
    secrets: new AesGcmSecrets([Buffer.alloc(32, 1)]),
    logger,
    registry: new ContributionRegistry(),
    scheduler: new Scheduler(toLoggerPort(logger)),
    tickets: new TicketStore(knex),
    notifications: new NotificationCenter(knex, toLoggerPort(logger)),
    publicBaseUrl: () => 'https://helpdesk.example.test',
  };
});

afterAll(async () => {
  await services.scheduler.stop();
  await knex.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const inbound = (sourceId: string) => ({
  sourceId,
  accountId: 'a1',
  dedupeKey: `a1:1:${sourceId}`,
  raw: Buffer.from('Subject: hi\r\n\r\nbody'),
  receivedAt: new Date(),
});
const handle = async () => ({ kind: 'json' as const, body: {} });

/** A transport that sends nothing: these tests check registration only. */
const NO_SENDING = {
  senders: async () => [],
  send: async () => ({ messageId: '<x@example.test>', response: '250 OK', accepted: [], rejected: [] }),
};

describe('a scope without any granted permission', () => {
  it('refuses every gated service with ERR_PERMISSION_NOT_GRANTED', async () => {
    const { host } = createPluginScope(services, manifest, new Set(), {});
    const calls: Record<string, () => unknown> = {
      'database.getClient': () => host.database.getClient(),
      'secrets.seal': () => host.secrets.seal('x'),
      'secrets.open': () => host.secrets.open('x'),
      'routes.register': () =>
        host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin', handle }),
      'routes.publicUrl': () => host.routes.publicUrl('/callback'),
      'admin.registerScreen': () => host.admin.registerScreen({ id: 'demo-plugin.home', title: 'Demo', path: '/home' }),
      'scheduler.schedule': () =>
        host.scheduler.schedule({ id: 'demo-plugin.tick', intervalMs: 1000, run: async () => undefined }),
      'mail.ingest': () => host.mail.ingest(inbound('demo-plugin.imap')),
      'mail.registerTransport': () =>
        host.mail.registerTransport({ id: 'demo-plugin.smtp', title: 'SMTP', ...NO_SENDING }),
      'notify.notify': () => host.notify.notify({ key: 'k', severity: 'info', title: 't', message: 'm' }),
      'notify.resolve': () => host.notify.resolve('k'),
    };
    const codes: Record<string, string | undefined> = {};
    for (const [name, call] of Object.entries(calls)) codes[name] = await codeOf(call);
    expect(codes).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, 'ERR_PERMISSION_NOT_GRANTED'])));
    // Logger, lifecycle, config and identity need no permission.
    expect(host.pluginId).toBe('demo-plugin');
    expect(host.apiVersion).toBe(HOST_API_VERSION);
    expect(() => host.logger.child({ a: 1 }).info('ok')).not.toThrow();
  });
});

describe('a scope with every permission', () => {
  it('serves the granted services and enforces the declared mail sources', async () => {
    const scope = createPluginScope(services, manifest, new Set(KNOWN_PERMISSIONS), { fetch: { batchSize: 5 } });
    const { host } = scope;
    expect(host.database.getClient()).toBe(knex);
    expect(host.database.migrationsRunByHost).toBe(false);
    expect(await host.secrets.open(await host.secrets.seal('s3cret'))).toBe('s3cret');
    expect(host.routes.publicUrl('/callback')).toBe('https://helpdesk.example.test/plugins/demo-plugin/callback');
    expect(host.config).toEqual({ fetch: { batchSize: 5 } });
    const first = await host.mail.ingest(inbound('demo-plugin.imap'));
    expect(await host.mail.ingest(inbound('demo-plugin.imap'))).toEqual({ ticketId: first.ticketId, duplicate: true });
    expect(await codeOf(() => host.mail.ingest(inbound('demo-plugin.pop3')))).toBe('ERR_CONTRIBUTION_UNDECLARED');
    expect(
      await codeOf(() => host.mail.registerTransport({ id: 'demo-plugin.other', title: 'x', ...NO_SENDING })),
    ).toBe('ERR_CONTRIBUTION_UNDECLARED');
    await scope.dispose();
  });

  it('takes back every registration on dispose and runs shutdown hooks once', async () => {
    const scope = createPluginScope(services, manifest, new Set(KNOWN_PERMISSIONS), {});
    const { host } = scope;
    host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin', handle });
    host.admin.registerScreen({ id: 'demo-plugin.home', title: 'Demo', path: '/home' });
    host.scheduler.schedule({ id: 'demo-plugin.tick', intervalMs: 60_000, run: async () => undefined });
    host.mail.registerTransport({ id: 'demo-plugin.smtp', title: 'SMTP', ...NO_SENDING });
    expect(
      await codeOf(() =>
        host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin', handle }),
      ),
    ).toBe('ERR_CONFLICT');
    expect(services.registry.idsOf('demo-plugin')).toEqual({
      routes: ['demo-plugin.home'],
      adminScreens: ['demo-plugin.home'],
      mailTransports: ['demo-plugin.smtp'],
    });
    expect(scope.scheduledTaskIds()).toEqual(['demo-plugin.tick']);
    let hookRuns = 0;
    host.lifecycle.onShutdown(() => void (hookRuns += 1));

    await scope.runShutdownHooks();
    await scope.runShutdownHooks();
    await scope.dispose();

    expect(hookRuns).toBe(1);
    expect(services.registry.idsOf('demo-plugin')).toEqual({ routes: [], adminScreens: [], mailTransports: [] });
    expect(scope.scheduledTaskIds()).toEqual([]);
    expect(services.scheduler.list()).toEqual([]);
    expect(
      await codeOf(() =>
        host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin', handle }),
      ),
    ).toBe('ERR_CONFLICT');
  });
});
