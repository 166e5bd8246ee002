/**
 * The plugin manager checks a plugin's stored config against plugin.json `config.schema` before
 * activate (docs/architecture.md, "Plugin manager checks", item 7) on a real host (in-process, temp SQLite file,
 * port 0): defaults are filled in, an invalid config is refused naming each problem with nothing saved and the host
 * serving, and a `config.schema` that does not compile is a manifest problem.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import type { HostApp } from '../../../host/host-app';
import { HOST_NOTIFICATION_SOURCE } from '../../../host/plugin-manager';
import { isPluginError } from '../../../plugin/errors';
import { demoManifest } from './demo-manifest';
import { ensureBuilt, REPO_ROOT } from './ensure-build';
import { expectServing, installError, openTestHost, writePlugin } from './test-host';

jest.setTimeout(120_000);

let dir: string;
let host: HostApp;
let url: string;

/** A demo plugin whose route answers with the config the host handed over. */
const ECHO_CONFIG_JS =
  "exports.activate = async (host) => { host.routes.register({ id: 'demo-plugin.hello', method: 'GET', path: '/hello', auth: 'none', handle: async () => ({ kind: 'json', body: host.config }) }); };\nexports.deactivate = async () => {};\n";

const DEMO_SCHEMA = {
  type: 'object',
  properties: {
    greeting: { type: 'string', default: 'hello' },
    limits: {
      type: 'object',
      default: {},
      properties: { max: { type: 'integer', minimum: 1, default: 10 } },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

async function storedConfig(id: string): Promise<unknown> {
  const row = (await host.knex('host_plugins').where({ id }).first()) as { config: string } | undefined;
  return row ? JSON.parse(row.config) : undefined;
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oauth2-mail-config-'));
  host = await openTestHost(dir);
  url = await host.listen({ port: 0, host: '127.0.0.1' });
}, 300_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the bundled oauth2-mail plugin', () => {
  it('activates with the default config ({}), storing what was given', async () => {
    const installed = await host.plugins.install(REPO_ROOT, { config: {} });
    expect(installed).toMatchObject({ id: 'oauth2-mail', active: true, lastError: null });
    expect(await storedConfig('oauth2-mail')).toEqual({});
    await expectServing(url);
  });

  it('refuses a config with a wrong type and an unknown key, naming both, and keeps the running version and its stored config', async () => {
    const error = await installError(host, REPO_ROOT, { config: { fetch: { batchSize: 'x' }, colour: 'blue' } });

    expect(error.code).toBe('ERR_INPUT_INVALID');
    expect(error.problems).toEqual(
      expect.arrayContaining(['fetch.batchSize: must be integer', 'colour: is not a known setting']),
    );
    expect(error.problems).toHaveLength(2);
    for (const problem of error.problems) expect(error.message).toContain(problem);
    expect(await storedConfig('oauth2-mail')).toEqual({});
    expect((await host.plugins.list()).find((p) => p.id === 'oauth2-mail')).toMatchObject({
      active: true,
      lastError: null,
    });
    await expectServing(url);
  });

  it('refuses a value out of range inside a nested object', async () => {
    const error = await installError(host, REPO_ROOT, {
      config: { fetch: { batchSize: 0 }, token: { keepAliveDays: 0 } },
    });
    expect(error.code).toBe('ERR_INPUT_INVALID');
    expect(error.problems).toEqual(['fetch.batchSize: must be >= 1', 'token.keepAliveDays: must be >= 1']);
    await expectServing(url);
  });
});

describe('a plugin with its own config.schema', () => {
  it('gets the defaults filled in at activate, while the stored config stays as given', async () => {
    const folder = writePlugin(dir, 'defaults', demoManifest({ config: { schema: DEMO_SCHEMA } }), ECHO_CONFIG_JS);
    await host.plugins.install(folder, { config: { greeting: 'hi' } });

    expect(await (await fetch(`${url}/plugins/demo-plugin/hello`)).json()).toEqual({
      greeting: 'hi',
      limits: { max: 10 },
    });
    expect(await storedConfig('demo-plugin')).toEqual({ greeting: 'hi' });
  });

  it('setConfig re-activates a running plugin with a valid config, and refuses an invalid one keeping the old config running and stored', async () => {
    await host.plugins.setConfig('demo-plugin', { limits: { max: 3 } });
    expect(await (await fetch(`${url}/plugins/demo-plugin/hello`)).json()).toEqual({
      greeting: 'hello',
      limits: { max: 3 },
    });
    expect(await storedConfig('demo-plugin')).toEqual({ limits: { max: 3 } });

    let refused: unknown;
    await host.plugins
      .setConfig('demo-plugin', { limits: { max: 'many' }, extra: true })
      .catch((error: unknown) => (refused = error));

    expect(isPluginError(refused) && refused.code).toBe('ERR_INPUT_INVALID');
    expect(isPluginError(refused) && refused.details.problems).toEqual([
      'extra: is not a known setting',
      'limits.max: must be integer',
    ]);
    expect(await storedConfig('demo-plugin')).toEqual({ limits: { max: 3 } });
    expect(await (await fetch(`${url}/plugins/demo-plugin/hello`)).json()).toEqual({
      greeting: 'hello',
      limits: { max: 3 },
    });
  });

  it('is not activated after a restart when its stored config became invalid: problems recorded and shown, host serving', async () => {
    await host
      .knex('host_plugins')
      .where({ id: 'demo-plugin' })
      .update({ config: JSON.stringify({ greeting: 5, limits: { max: 0, min: 1 } }) });
    await host.stop();
    host = await openTestHost(dir);
    url = await host.listen({ port: 0, host: '127.0.0.1' });

    const reports = await host.activatePlugins();

    expect(reports.find((r) => r.id === 'oauth2-mail')).toEqual({ id: 'oauth2-mail', ok: true, problems: [] });
    const failed = reports.find((r) => r.id === 'demo-plugin');
    expect(failed?.ok).toBe(false);
    expect([...(failed?.problems ?? [])].sort()).toEqual([
      'greeting: must be string',
      'limits.max: must be >= 1',
      'limits.min: is not a known setting',
    ]);
    expect((await host.plugins.list()).find((p) => p.id === 'demo-plugin')).toMatchObject({ active: false });
    expect((await fetch(`${url}/plugins/demo-plugin/hello`)).status).toBe(404);
    const banners = await host.notifications.listOpen();
    expect(banners.map((b) => `${b.pluginId}:${b.title}`)).toContain(
      `${HOST_NOTIFICATION_SOURCE}:Plugin demo-plugin is not active`,
    );
    await expectServing(url);
  });
});

describe('a config.schema that does not compile', () => {
  it.each([
    ['an unknown type', { type: 'object', properties: { a: { type: 'nope' } } }, /config\.schema.*properties\.a\.type/],
    [
      'a keyword of the wrong kind',
      { type: 'object', properties: { a: { type: 'integer', minimum: 'one' } } },
      /config\.schema.*minimum/,
    ],
    [
      'an unknown keyword',
      { type: 'object', properties: { a: { type: 'string', colour: 'red' } } },
      /config\.schema: does not compile: .*unknown keyword: "colour"/,
    ],
    [
      'an unknown format',
      { type: 'object', properties: { a: { type: 'string', format: 'colourful' } } },
      /config\.schema: does not compile: .*unknown format "colourful"/,
    ],
  ])('is a manifest problem: %s', async (_name, schema, expected) => {
    const folder = writePlugin(
      dir,
      `broken-${randomBytes(4).toString('hex')}`,
      demoManifest({ id: 'broken-plugin', contributes: {}, config: { schema } }),
      ECHO_CONFIG_JS,
    );

    expect(host.plugins.inspect(folder).manifest).toBeUndefined();
    const error = await installError(host, folder);

    expect(error.code).toBe('ERR_MANIFEST_INVALID');
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems.join('\n')).toMatch(expected);
    expect((await host.plugins.list()).map((p) => p.id)).not.toContain('broken-plugin');
    await expectServing(url);
  });
});

describe('a config.schema with a standard format', () => {
  it('compiles, and a value that breaks the format is refused', async () => {
    const schema = {
      type: 'object',
      properties: { homepage: { type: 'string', format: 'uri' } },
      additionalProperties: false,
    };
    const folder = writePlugin(
      dir,
      `formats-${randomBytes(4).toString('hex')}`,
      demoManifest({ id: 'formats-plugin', contributes: {}, config: { schema } }),
      ECHO_CONFIG_JS,
    );
    expect(host.plugins.inspect(folder).manifest).toBeDefined();
    const error = await installError(host, folder, { config: { homepage: 'not a uri' } });
    expect(error.code).toBe('ERR_INPUT_INVALID');
    expect(error.problems.join('\n')).toMatch(/homepage: must match format "uri"/);
    await expectServing(url);
  });
});

describe('oauth2-mail plugin config (console)', () => {
  const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');

  function cli(db: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--db', db, ...args], {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function configIn(db: string): Promise<unknown> {
    const knex = knexFactory({ client: 'sqlite3', connection: { filename: db }, useNullAsDefault: true });
    try {
      const row = (await knex('host_plugins').where({ id: 'oauth2-mail' }).first()) as { config: string };
      return JSON.parse(row.config);
    } finally {
      await knex.destroy();
    }
  }

  it('stores values set with --set and from --file, and refuses an invalid one naming each problem, changing nothing', async () => {
    const db = join(dir, 'console.sqlite');
    expect((await cli(db, ['plugin', 'install', REPO_ROOT])).code).toBe(0);

    const set = await cli(db, [
      'plugin',
      'config',
      'oauth2-mail',
      '--set',
      'fetch.batchSize=100',
      '--set',
      'token.keepAliveDays=3',
    ]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('set: fetch.batchSize, token.keepAliveDays');
    expect(await configIn(db)).toEqual({ fetch: { batchSize: 100 }, token: { keepAliveDays: 3 } });

    const bad = await cli(db, [
      'plugin',
      'config',
      'oauth2-mail',
      '--set',
      'fetch.batchSize=x',
      '--set',
      'colour=blue',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERR_INPUT_INVALID');
    expect(bad.stderr).toContain('fetch.batchSize: must be integer');
    expect(bad.stderr).toContain('colour: is not a known setting');
    expect(await configIn(db)).toEqual({ fetch: { batchSize: 100 }, token: { keepAliveDays: 3 } });

    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ allowInsecureLoopback: true }));
    const fromFile = await cli(db, ['plugin', 'config', 'oauth2-mail', '--file', file, '--set', 'fetch.concurrency=2']);
    expect(fromFile.code).toBe(0);
    expect(await configIn(db)).toEqual({ allowInsecureLoopback: true, fetch: { concurrency: 2 } });

    const noPath = await cli(db, ['plugin', 'config', 'oauth2-mail', '--set', '__proto__.x=1']);
    expect(noPath.code).toBe(1);
    expect(noPath.stderr).toContain('is not a setting');
  });
});
