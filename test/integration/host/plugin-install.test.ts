/**
 * The plugin manager on a real host (in-process, temp SQLite file, port 0): installing the repo's
 * plugin runs its migrations and registers exactly the contributions plugin.json declares; bad
 * manifests and misbehaving plugins are refused with every problem named while the host keeps serving.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostApp } from '../../../host/host-app';
import { HOST_NOTIFICATION_SOURCE } from '../../../host/plugin-manager';
import type { PluginManifest } from '../../../plugin/manifest';
import { demoManifest } from './demo-manifest';
import { ensureBuilt, REPO_ROOT } from './ensure-build';
import { expectServing, installError, openTestHost, writePlugin } from './test-host';

jest.setTimeout(120_000);

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'plugin.json'), 'utf8')) as PluginManifest;
const PLUGIN_TABLES = [
  'oauth2_mail_apps',
  'oauth2_mail_accounts',
  'oauth2_mail_tokens',
  'oauth2_mail_auth_requests',
  'oauth2_mail_cursors',
  'oauth2_mail_deliveries',
  'oauth2_mail_events',
];

let dir: string;
let host: HostApp;
let url: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oauth2-mail-host-'));
  host = await openTestHost(dir);
  url = await host.listen({ port: 0, host: '127.0.0.1' });
}, 300_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('installing the oauth2-mail plugin from the repository folder', () => {
  it('runs its migrations, grants the declared permissions and registers exactly the declared contributions', async () => {
    for (const table of PLUGIN_TABLES) expect(await host.knex.schema.hasTable(table)).toBe(false);

    const installed = await host.plugins.install(REPO_ROOT);

    expect(installed).toMatchObject({
      id: 'oauth2-mail',
      version: manifest.version,
      directory: REPO_ROOT,
      enabled: true,
      active: true,
      lastError: null,
    });
    expect([...installed.permissions].sort()).toEqual([...manifest.permissions].sort());
    for (const table of PLUGIN_TABLES) expect(await host.knex.schema.hasTable(table)).toBe(true);
    const applied = await host.knex('oauth2_mail_knex_migrations').select('name');
    expect(applied.length).toBeGreaterThanOrEqual(PLUGIN_TABLES.length);

    const registered = host.plugins.registrations('oauth2-mail');
    const declared = (kind: keyof PluginManifest['contributes']) => manifest.contributes[kind].map((c) => c.id).sort();
    expect([...(registered.routes ?? [])].sort()).toEqual(declared('routes'));
    expect([...(registered.adminScreens ?? [])].sort()).toEqual(declared('adminScreens'));
    expect([...(registered.scheduledTasks ?? [])].sort()).toEqual(declared('scheduledTasks'));
    expect([...(registered.mailTransports ?? [])].sort()).toEqual(declared('mailTransports'));
    // The plugin's one task, beside the host's own outbox worker.
    expect(host.scheduler.list().map((t) => `${t.owner}/${t.id}`)).toEqual([
      'host/host.outbox',
      'oauth2-mail/oauth2-mail.fetch',
    ]);
  });

  it('mounts its routes: the admin page asks for a sign-in, the callback answers without one', async () => {
    const accounts = await fetch(`${url}/plugins/oauth2-mail/accounts`, { redirect: 'manual' });
    expect(accounts.status).toBe(303);
    expect(accounts.headers.get('location')).toBe('/login?next=%2Fplugins%2Foauth2-mail%2Faccounts');
    const json = await fetch(`${url}/plugins/oauth2-mail/accounts`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(401);
    const callback = await fetch(`${url}/plugins/oauth2-mail/callback?code=abc&state=def`);
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain('This sign-in link is not known');
  });
});

describe('refusals leave the host serving', () => {
  const fixtures = [
    'invalid-json',
    'wrong-engine-range',
    'main-outside',
    'unknown-permission',
    'bad-contribution-ids',
    'several-problems',
  ];

  it.each(fixtures)('refuses fixtures/manifests/%s.plugin.json, recording nothing', async (name) => {
    const folder = join(dir, `fixture-${name}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'fixtures', 'manifests', `${name}.plugin.json`), join(folder, 'plugin.json'));
    writeFileSync(
      join(folder, 'index.js'),
      'exports.activate = async () => {}; exports.deactivate = async () => {};\n',
    );

    const error = await installError(host, folder);

    expect(error.code).toBe('ERR_MANIFEST_INVALID');
    expect(Array.isArray(error.problems) && (error.problems as string[]).length).toBeGreaterThan(0);
    for (const problem of error.problems as string[]) expect(error.message).toContain(problem);
    expect((await host.plugins.list()).map((p) => p.id)).toEqual(['oauth2-mail']);
    await expectServing(url);
  });

  it('names every problem of a manifest with several', async () => {
    const folder = join(dir, 'several');
    mkdirSync(folder, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'fixtures', 'manifests', 'several-problems.plugin.json'), join(folder, 'plugin.json'));
    const { problems } = await installError(host, folder);
    expect(problems).toHaveLength(9);
  });

  it('refuses a folder without plugin.json', async () => {
    const folder = join(dir, 'empty');
    mkdirSync(folder, { recursive: true });
    const error = await installError(host, folder);
    expect(error.code).toBe('ERR_MANIFEST_INVALID');
    expect(error.message).toMatch(/plugin\.json cannot be read .*ENOENT/);
  });

  it('refuses a main module without activate/deactivate', async () => {
    const folder = writePlugin(dir, 'no-exports', demoManifest(), 'exports.start = () => {};\n');
    const error = await installError(host, folder);
    expect(error.code).toBe('ERR_MANIFEST_INVALID');
    expect(error.problems).toEqual([
      'main: "index.js" does not export an activate(host) function',
      'main: "index.js" does not export a deactivate() function',
    ]);
    await expectServing(url);
  });

  it('refuses a plugin that registers an undeclared route, and takes back what it registered', async () => {
    const folder = writePlugin(
      dir,
      'undeclared',
      demoManifest(),
      `exports.activate = async (host) => {
        host.routes.register({ id: 'demo-plugin.hello', method: 'GET', path: '/hello', auth: 'none', handle: async () => ({ kind: 'json', body: { hello: true } }) });
        host.routes.register({ id: 'demo-plugin.secret', method: 'GET', path: '/secret', auth: 'none', handle: async () => ({ kind: 'json', body: {} }) });
      };
      exports.deactivate = async () => {};\n`,
    );
    const error = await installError(host, folder);
    expect(error.code).toBe('ERR_CONTRIBUTION_UNDECLARED');
    expect(error.message).toContain('demo-plugin.secret');
    expect(host.plugins.registrations('demo-plugin')).toEqual({});
    expect((await fetch(`${url}/plugins/demo-plugin/hello`)).status).toBe(404);
    expect((await host.plugins.list()).map((p) => p.id)).toEqual(['oauth2-mail']);
    await expectServing(url);
  });

  it('refuses a plugin that uses a service whose permission was not granted', async () => {
    const folder = writePlugin(
      dir,
      'ungranted',
      demoManifest({ permissions: ['http:routes', 'secrets:seal'] }),
      "exports.activate = async (host) => { await host.secrets.seal('x'); };\nexports.deactivate = async () => {};\n",
    );
    const error = await installError(host, folder, { grant: ['http:routes'] });
    expect(error.code).toBe('ERR_PERMISSION_NOT_GRANTED');
    expect(error.message).toContain('secrets:seal');
    const notDeclared = await installError(host, folder, { grant: ['mail:ingest'] });
    expect(notDeclared.code).toBe('ERR_INPUT_INVALID');
    await expectServing(url);
  });

  it('serves a well-behaved extra plugin, and reports it (banner) when it cannot be activated after a restart', async () => {
    const folder = writePlugin(
      dir,
      'hello',
      demoManifest(),
      "exports.activate = async (host) => { host.routes.register({ id: 'demo-plugin.hello', method: 'GET', path: '/hello', auth: 'none', handle: async () => ({ kind: 'json', body: { hello: host.pluginId } }) }); };\nexports.deactivate = async () => {};\n",
    );
    await host.plugins.install(folder);
    expect(await (await fetch(`${url}/plugins/demo-plugin/hello`)).json()).toEqual({ hello: 'demo-plugin' });

    await host.stop();
    unlinkSync(join(folder, 'index.js'));
    host = await openTestHost(dir);
    url = await host.listen({ port: 0, host: '127.0.0.1' });
    const reports = await host.activatePlugins();

    expect(reports.find((r) => r.id === 'oauth2-mail')).toEqual({ id: 'oauth2-mail', ok: true, problems: [] });
    const failed = reports.find((r) => r.id === 'demo-plugin');
    expect(failed?.ok).toBe(false);
    expect(failed?.problems).toEqual(['main: "index.js" does not exist in the plugin folder (build the plugin first)']);
    const listed = (await host.plugins.list()).find((p) => p.id === 'demo-plugin');
    expect(listed).toMatchObject({
      active: false,
      lastError: 'main: "index.js" does not exist in the plugin folder (build the plugin first)',
    });
    const banners = await host.notifications.listOpen();
    expect(banners.map((b) => `${b.pluginId}:${b.title}`)).toEqual([
      `${HOST_NOTIFICATION_SOURCE}:Plugin demo-plugin is not active`,
    ]);
    await expectServing(url);
  });
});
