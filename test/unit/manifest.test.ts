/**
 * plugin.json checks (plugin/manifest.ts): the real plugin.json passes, each bad manifest in
 * fixtures/manifests is refused with a message naming each problem, a runtime registration not
 * declared in the manifest is refused, and the generated schemas are in sync with the zod schemas.
 * Set UPDATE_SCHEMAS=1 to rewrite plugin.json `config.schema` and plugin.schema.json from the zod schemas.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createKnex } from '../../host/create-knex';
import { ContributionRegistry } from '../../host/contribution-registry';
import { NotificationCenter } from '../../host/notifications';
import { createPluginScope } from '../../host/plugin-scope';
import { Scheduler } from '../../host/scheduler';
import { AesGcmSecrets } from '../../host/secrets';
import { TicketStore } from '../../host/ticket-store';
import { toLoggerPort } from '../../host/logger';
import { configJsonSchema, parseConfig } from '../../plugin/config';
import { isPluginError } from '../../plugin/errors';
import { validateManifest, type ManifestContext } from '../../host/manifest-validation';
import { KNOWN_PERMISSIONS, manifestJsonSchema, type PluginManifest } from '../../plugin/manifest';
import { HOST_API_VERSION } from '../../plugin/ports/host';

const root = resolve(__dirname, '..', '..');
const fixture = (name: string): string => readFileSync(join(root, 'fixtures', 'manifests', name), 'utf8');

let pluginDir: string;
let ctx: ManifestContext;

beforeAll(() => {
  // A plugin folder with what the manifests point at: index.js, migrations/, and the repo plugin's build paths.
  pluginDir = mkdtempSync(join(tmpdir(), 'oauth2-mail-manifest-'));
  writeFileSync(
    join(pluginDir, 'index.js'),
    'exports.activate = async () => {}; exports.deactivate = async () => {};\n',
  );
  mkdirSync(join(pluginDir, 'migrations'));
  mkdirSync(join(pluginDir, 'dist', 'plugin'), { recursive: true });
  writeFileSync(join(pluginDir, 'dist', 'plugin', 'index.js'), '');
  mkdirSync(join(pluginDir, 'dist', 'migrations'));
  ctx = { pluginDir, hostApiVersion: HOST_API_VERSION, nodeVersion: '20.11.0', knownPermissions: KNOWN_PERMISSIONS };
});

afterAll(() => rmSync(pluginDir, { recursive: true, force: true }));

describe('validateManifest', () => {
  it('accepts the repository plugin.json with its entry, migrations, routes, task, mail source and permissions', () => {
    const result = validateManifest(readFileSync(join(root, 'plugin.json'), 'utf8'), ctx);
    expect(result.problems).toEqual([]);
    const manifest = result.manifest as PluginManifest;
    expect(manifest.id).toBe('oauth2-mail');
    expect(manifest.main).toBe('dist/plugin/index.js');
    expect(manifest.migrations).toEqual({ directory: 'dist/migrations', tableName: 'oauth2_mail_knex_migrations' });
    expect(manifest.contributes.routes.map((r) => `${r.id} ${r.method} ${r.path} ${r.auth}`)).toEqual(
      expect.arrayContaining(['oauth2-mail.accounts GET /accounts admin', 'oauth2-mail.callback GET /callback none']),
    );
    expect(manifest.contributes.scheduledTasks).toEqual([{ id: 'oauth2-mail.fetch', defaultIntervalSeconds: 60 }]);
    expect(manifest.contributes.mailSources).toEqual([{ id: 'oauth2-mail.imap', title: 'IMAP with OAuth2' }]);
    expect([...manifest.permissions].sort()).toEqual([...KNOWN_PERMISSIONS].sort());
  });

  it('accepts the valid fixture', () => {
    expect(validateManifest(fixture('valid.plugin.json'), ctx)).toMatchObject({
      problems: [],
      manifest: { id: 'demo-plugin' },
    });
  });

  it('refuses invalid JSON and says where', () => {
    const { manifest, problems } = validateManifest(fixture('invalid-json.plugin.json'), ctx);
    expect(manifest).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/not valid JSON: .*line 6, column 1/);
  });

  it('refuses a host range this host does not satisfy', () => {
    const { manifest, problems } = validateManifest(fixture('wrong-engine-range.plugin.json'), ctx);
    expect(manifest).toBeUndefined();
    expect(problems).toEqual([
      `engines.host: the plugin needs host API "^2.0.0" but this host implements ${HOST_API_VERSION}`,
    ]);
  });

  it('refuses an entry point outside the plugin folder', () => {
    const { problems } = validateManifest(fixture('main-outside.plugin.json'), ctx);
    expect(problems).toEqual(['main: "../outside/index.js" resolves outside the plugin folder']);
  });

  it('refuses a missing entry point', () => {
    const text = fixture('valid.plugin.json').replace('"main": "index.js"', '"main": "dist/missing.js"');
    expect(validateManifest(text, ctx).problems).toEqual([
      'main: "dist/missing.js" does not exist in the plugin folder (build the plugin first)',
    ]);
  });

  it('refuses an unknown permission', () => {
    const { problems } = validateManifest(fixture('unknown-permission.plugin.json'), ctx);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^permissions: unknown permission "filesystem:everything" \(known: database:own-tables, /,
    );
  });

  it('refuses contribution ids without the plugin prefix, and duplicates', () => {
    expect(validateManifest(fixture('bad-contribution-ids.plugin.json'), ctx).problems).toEqual([
      'contributes.routes[0].id: "other-plugin.callback" must start with "demo-plugin."',
      'contributes.routes[2].id: "demo-plugin.page" is declared twice',
    ]);
  });

  it('lists every problem of a manifest with several', () => {
    const { manifest, problems } = validateManifest(fixture('several-problems.plugin.json'), ctx);
    expect(manifest).toBeUndefined();
    const expected = [
      /^\(root\): Unrecognized key: "extra"/,
      /^version: "1\.0" is not a semver version/,
      /^engines\.host: "\*" is not specific enough: pin a major version, e\.g\. "\^1\.0\.0"/,
      /^engines\.node: the plugin needs Node\.js ">=99" but this is 20\.11\.0/,
      /^main: "\.\.\/\.\.\/elsewhere\/main\.js" resolves outside the plugin folder/,
      /^permissions: unknown permission "root:everything"/,
      /^migrations\.directory: "\.\.\/migrations" resolves outside the plugin folder/,
      /^migrations\.tableName: "knex_migrations" must start with "demo_plugin_"/,
      /^contributes\.scheduledTasks\[0\]\.id: "fetch" must start with "demo-plugin\."/,
    ];
    for (const pattern of expected) expect(problems.some((p) => pattern.test(p))).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('refuses a wrong id and a bad route path through the schema, naming the path', () => {
    const text = fixture('valid.plugin.json')
      .replace('"id": "demo-plugin"', '"id": "Demo Plugin"')
      .replace('"path": "/home", "auth"', '"path": "home", "auth"');
    const { problems } = validateManifest(text, ctx);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id: must match/),
        expect.stringMatching(/^contributes\.routes\.0\.path: must start with "\/"/),
      ]),
    );
  });
});

describe('runtime registrations must be declared', () => {
  it('refuses a route, screen or task that plugin.json does not declare, and a route declared differently', async () => {
    const manifest = validateManifest(fixture('valid.plugin.json'), ctx).manifest as PluginManifest;
    const knex = createKnex(':memory:');
    const logger = pino({ level: 'silent' });
    const scheduler = new Scheduler(toLoggerPort(logger));
    const scope = createPluginScope(
      {
        knex,
        secrets: new AesGcmSecrets([Buffer.alloc(32, 7)]),
        logger,
        registry: new ContributionRegistry(),
        scheduler,
        tickets: new TicketStore(knex),
        notifications: new NotificationCenter(knex, toLoggerPort(logger)),
        publicBaseUrl: () => 'http://127.0.0.1:1',
      },
      manifest,
      new Set(['http:routes', 'admin:screens', 'scheduler:tasks']),
      {},
    );
    const handle = async () => ({ kind: 'json' as const, body: {} });
    const codeOf = (action: () => unknown): string | undefined => {
      try {
        action();
        return undefined;
      } catch (error) {
        return isPluginError(error) ? error.code : 'not a PluginError';
      }
    };
    try {
      expect(
        codeOf(() =>
          scope.host.routes.register({ id: 'demo-plugin.extra', method: 'GET', path: '/extra', auth: 'admin', handle }),
        ),
      ).toBe('ERR_CONTRIBUTION_UNDECLARED');
      expect(
        codeOf(() =>
          scope.host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'none', handle }),
        ),
      ).toBe('ERR_CONTRIBUTION_UNDECLARED');
      expect(
        codeOf(() => scope.host.admin.registerScreen({ id: 'demo-plugin.other', title: 'x', path: '/home' })),
      ).toBe('ERR_CONTRIBUTION_UNDECLARED');
      expect(
        codeOf(() =>
          scope.host.scheduler.schedule({ id: 'demo-plugin.fetch', intervalMs: 1000, run: async () => undefined }),
        ),
      ).toBe('ERR_CONTRIBUTION_UNDECLARED');
      // The declared ones go through.
      expect(
        codeOf(() =>
          scope.host.routes.register({ id: 'demo-plugin.home', method: 'GET', path: '/home', auth: 'admin', handle }),
        ),
      ).toBeUndefined();
      expect(
        codeOf(() => scope.host.admin.registerScreen({ id: 'demo-plugin.home', title: 'Demo', path: '/home' })),
      ).toBeUndefined();
    } finally {
      await scope.dispose();
      await scheduler.stop();
      await knex.destroy();
    }
  });
});

describe('generated schemas are in sync with the zod schemas', () => {
  const pluginJsonPath = join(root, 'plugin.json');
  const schemaPath = join(root, 'plugin.schema.json');

  if (process.env.UPDATE_SCHEMAS === '1') {
    const pluginJson = JSON.parse(readFileSync(pluginJsonPath, 'utf8')) as { config: { schema: unknown } };
    pluginJson.config.schema = configJsonSchema();
    writeFileSync(pluginJsonPath, `${JSON.stringify(pluginJson, null, 2)}\n`);
    writeFileSync(schemaPath, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
  }

  it('plugin.json config.schema is z.toJSONSchema of the plugin config schema', () => {
    const pluginJson = JSON.parse(readFileSync(pluginJsonPath, 'utf8')) as { config: { schema: unknown } };
    expect(pluginJson.config.schema).toEqual(configJsonSchema());
  });

  it('plugin.schema.json is z.toJSONSchema of the manifest schema', () => {
    expect(JSON.parse(readFileSync(schemaPath, 'utf8'))).toEqual(manifestJsonSchema());
  });

  it('the config schema defaults match parseConfig({})', () => {
    const config = parseConfig({});
    const schema = configJsonSchema() as {
      properties: {
        fetch: { properties: Record<string, { default: unknown }> };
        token: { properties: Record<string, { default: unknown }> };
      };
    };
    for (const [key, value] of Object.entries(config.fetch))
      expect(schema.properties.fetch.properties[key]?.default).toBe(value);
    for (const [key, value] of Object.entries(config.token))
      expect(schema.properties.token.properties[key]?.default).toBe(value);
    expect(config.fetch).toEqual({
      batchSize: 50,
      maxMessageBytes: 25 * 1024 * 1024,
      concurrency: 4,
      accountTimeoutSeconds: 300,
      commandTimeoutSeconds: 60,
      quarantineAfter: 5,
    });
    expect(config.token).toEqual({ refreshSkewSeconds: 300, keepAliveDays: 7, httpTimeoutSeconds: 15 });
    expect(config.allowInsecureLoopback).toBe(false);
    expect(Object.isFrozen(config) && Object.isFrozen(config.fetch)).toBe(true);
  });

  it('parseConfig names every invalid field', () => {
    expect(() =>
      parseConfig({ fetch: { batchSize: 0 }, token: { unknownKey: 1 }, allowInsecureLoopback: 'yes' }),
    ).toThrow(
      /^Invalid oauth2-mail config: .*fetch\.batchSize: .*token: Unrecognized key: "unknownKey".*allowInsecureLoopback: /,
    );
  });
});
