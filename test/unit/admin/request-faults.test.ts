// Every request fault is a 4xx naming the field: the admin screen's forms, the JSON API and the OAuth callback fed
// wrong types, unknown enum values, huge strings, missing fields and odd ids, over the real services and
// repositories (SQLite) with the provider and the mail server faked. No input may reach a TypeError (a 500).
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnexRepositories } from '../../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../../adapters/knex/migration-source';
import { createKnex } from '../../../host/create-knex';
import { jsonApiRoutes } from '../../../plugin/accounts/json-api';
import { adminRoutes } from '../../../plugin/admin/admin-routes';
import { parseConfig } from '../../../plugin/config';
import { isPluginError } from '../../../plugin/errors';
import { callbackRoute } from '../../../plugin/oauth/callback-route';
import { createOAuthServices, type OAuthServices } from '../../../plugin/oauth/oauth-services';
import type { HostRequest, HostResponse, LoggerPort, RouteDefinition } from '../../../plugin/ports/host';
import { tempDir } from '../../helpers/test-env';
import { createTestSecrets } from '../../helpers/test-secrets';
import { MemoryNotify } from '../../helpers/memory-notify';
import { FakeMailServer } from '../../helpers/fakes/fake-mail-server';
import { ScriptedOAuthClient } from '../../helpers/fakes/scripted-oauth-client';

const logger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
const ADMIN = { id: '1', name: 'admin@example.test', isAdmin: true };

let knex: Knex;
let services: OAuthServices;
let routes: RouteDefinition[];
let appId: string;
let accountId: string;

/** Values a form field or JSON property may arrive with; hosts other than the reference one may pass non-strings. */
const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  '   ',
  'mars',
  'x'.repeat(100_000),
  '\u0000',
  '\u202E',
  '\uD800',
  0,
  -1,
  1.5,
  1e308,
  Number.NaN,
  true,
  [],
  ['a', 'b'],
  {},
  { toString: 'boom' },
  '__proto__',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '9007199254740993',
  '8640000000000001',
  '9999-99-99',
  '275760-09-14',
  '0000-01-01',
  '2026-02-30',
];

const APP_FIELDS = [
  'name',
  'provider',
  'cloud',
  'tenant',
  'issuerUrl',
  'authorizeUrl',
  'tokenUrl',
  'revocationUrl',
  'userinfoUrl',
  'clientId',
  'clientSecret',
  'secretExpiresAt',
  'scopes',
];
const ACCOUNT_FIELDS = [
  'appId',
  'mailbox',
  'protocol',
  'host',
  'port',
  'tls',
  'folder',
  'initialSync',
  'postFetch',
  'postFetchAction',
  'postFetchFolder',
  'pollIntervalSeconds',
  'sharedViaDelegate',
  'enabled',
];

function validApp(): Record<string, unknown> {
  return {
    provider: 'microsoft',
    name: 'Contoso',
    cloud: 'global',
    tenant: 'contoso.com',
    clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
    clientSecret: 'secret-1',
  };
}

function validAccount(): Record<string, unknown> {
  return { appId, mailbox: 'support@contoso.com', postFetchAction: 'mark_seen', postFetch: 'mark_seen' };
}

async function send(
  id: string,
  parts: { params?: Record<string, unknown>; query?: Record<string, unknown>; form?: Record<string, unknown> },
): Promise<HostResponse> {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  const request = {
    method: route.method,
    params: parts.params ?? {},
    query: parts.query ?? {},
    form: parts.form ?? {},
    actor: ADMIN,
    csrfToken: 'csrf',
  } as unknown as HostRequest;
  return route.handle(request);
}

function statusOf(response: HostResponse): number {
  return response.kind === 'redirect' ? 303 : (response.status ?? 200);
}

/** Runs one request; a thrown error or a 5xx is a finding. */
async function probe(label: string, run: () => Promise<HostResponse>, findings: string[]): Promise<void> {
  try {
    const status = statusOf(await run());
    if (status >= 500) findings.push(`${label}: HTTP ${status}`);
  } catch (error) {
    // A thrown PluginError is answered by the host with the table's HTTP status.
    if (isPluginError(error) && error.info.httpStatus < 500) return;
    findings.push(
      `${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message?.slice(0, 120)}`,
    );
  }
}

const show = (value: unknown) =>
  typeof value === 'string' && value.length > 40 ? `"x" * ${value.length}` : (JSON.stringify(value) ?? String(value));

beforeAll(async () => {
  knex = createKnex(join(tempDir('o2m-request-faults'), 'faults.sqlite'));
  await migrateLatest(knex);
  const repositories = createKnexRepositories({ knex, secrets: createTestSecrets() });
  const oauthClient = new ScriptedOAuthClient();
  services = createOAuthServices({
    repositories,
    notify: new MemoryNotify(),
    logger,
    clock: { now: () => Date.now() },
    oauthClient,
    mailFetcher: new FakeMailServer({ accepts: () => false }),
    redirectUri: 'https://helpdesk.example.test/plugins/oauth2-mail/callback',
    config: parseConfig({}),
  });
  routes = [
    ...adminRoutes({
      apps: services.apps,
      accounts: services.accounts,
      events: repositories.events,
      tester: { test: async () => ({ ok: true, steps: [] }) as never },
      fetchNow: async () => {
        throw new Error('not in this test');
      },
      publicUrl: (path) => `https://helpdesk.example.test/plugins/oauth2-mail${path}`,
      clock: { now: () => Date.now() },
      logger,
    }),
    ...jsonApiRoutes({ apps: services.apps, accounts: services.accounts, clock: { now: () => Date.now() } }),
    callbackRoute(services.authorization, () => '/accounts', logger),
  ];
  appId = (await services.apps.create(validApp(), null)).id;
  accountId = (await services.accounts.create(validAccount(), null)).id;
});

afterAll(async () => {
  await knex.destroy();
});

function bodyOf(response: HostResponse): string {
  if (response.kind === 'page') return response.html;
  if (response.kind === 'json') return JSON.stringify(response.body);
  if (response.kind === 'text') return response.body;
  return response.location;
}

it('an unknown Microsoft cloud is a 400 naming the field, on the form and in the JSON API, and nothing is stored', async () => {
  const before = (await services.apps.list()).length;
  const form = await send('oauth2-mail.app-create', { form: { ...validApp(), cloud: 'mars' } });
  expect(statusOf(form)).toBe(400);
  expect(bodyOf(form)).toContain('must be global, usgov or china');
  const update = await send('oauth2-mail.app-update', {
    params: { id: appId },
    form: { ...validApp(), cloud: 'mars' },
  });
  expect(statusOf(update)).toBe(400);
  const api = await send('oauth2-mail.api.apps.create', { form: { ...validApp(), cloud: 'mars' } });
  expect(api).toMatchObject({
    status: 400,
    body: { error: { code: 'ERR_INPUT_INVALID', details: { fields: ['cloud'] } } },
  });
  expect((await services.apps.list()).length).toBe(before);
});

it.each(['8640000000000001', '99999999999999999999', '2026-02-30', '2026-01-01junk', '0000-01-01', '10000-01-01'])(
  'a client secret expiry of %s is a 400 naming secretExpiresAt, and nothing is stored',
  async (value) => {
    const api = await send('oauth2-mail.api.app.action', {
      params: { id: appId, action: 'update' },
      form: { ...validApp(), secretExpiresAt: value },
    });
    expect(api).toMatchObject({ status: 400, body: { error: { details: { fields: ['secretExpiresAt'] } } } });
    const form = await send('oauth2-mail.app-update', {
      params: { id: appId },
      form: { ...validApp(), secretExpiresAt: value },
    });
    expect(statusOf(form)).toBe(400);
    expect((await services.apps.get(appId)).secretExpiresAt).toBeNull();
    expect(statusOf(await send('oauth2-mail.accounts', {}))).toBe(200);
  },
);

it('ids and query values that are not strings are a 4xx, never a TypeError', async () => {
  const odd = { toString: 'not a function' };
  await expect(send('oauth2-mail.account-show', { params: { id: odd } })).rejects.toMatchObject({
    code: 'ERR_NOT_FOUND',
  });
  await expect(send('oauth2-mail.api.account', { params: { id: odd } })).resolves.toMatchObject({ status: 404 });
  await expect(send('oauth2-mail.api.accounts', { query: { appId: odd } })).resolves.toMatchObject({ status: 200 });
  await expect(send('oauth2-mail.callback', { query: { state: odd } })).resolves.toMatchObject({ status: 400 });
});

it('no field of the app and account forms or the JSON API, of a wrong type, unknown, huge or missing, becomes a 5xx', async () => {
  const findings: string[] = [];
  const writes: Array<[string, () => Record<string, unknown>, string[], Record<string, unknown>]> = [
    ['oauth2-mail.app-create', validApp, APP_FIELDS, {}],
    ['oauth2-mail.app-update', validApp, APP_FIELDS, { id: appId }],
    ['oauth2-mail.api.apps.create', validApp, APP_FIELDS, {}],
    ['oauth2-mail.api.app.action', validApp, APP_FIELDS, { id: appId, action: 'update' }],
    ['oauth2-mail.account-create', validAccount, ACCOUNT_FIELDS, {}],
    ['oauth2-mail.account-update', validAccount, ACCOUNT_FIELDS, { id: accountId }],
    ['oauth2-mail.api.accounts.create', validAccount, ACCOUNT_FIELDS, {}],
    ['oauth2-mail.api.account.action', validAccount, ACCOUNT_FIELDS, { id: accountId, action: 'update' }],
  ];
  for (const [id, valid, fields, params] of writes) {
    const providers = id.endsWith('create') && id.includes('app') ? ['microsoft', 'google', 'generic'] : [null];
    for (const provider of providers) {
      for (const field of fields) {
        for (const value of ODD_VALUES) {
          const form: Record<string, unknown> = { ...valid(), ...(provider ? { provider } : {}) };
          if (value === undefined) delete form[field];
          else form[field] = value;
          await probe(`${id} [${provider}] ${field}=${show(value)}`, () => send(id, { params, form }), findings);
        }
      }
    }
  }
  for (const route of routes) {
    for (const value of ODD_VALUES) {
      if (!route.path.includes(':')) continue;
      const params = { id: value, action: value };
      await probe(`${route.id} params=${show(value)}`, () => send(route.id, { params }), findings);
    }
    if (route.method !== 'GET') continue;
    const params = route.path.includes(':id') ? { id: route.id.includes('app') ? appId : accountId } : {};
    for (const key of [
      'provider',
      'appId',
      'notice',
      'code',
      'state',
      'iss',
      'error',
      'error_description',
      'fetched',
    ]) {
      for (const value of ODD_VALUES) {
        await probe(
          `${route.id} ?${key}=${show(value)}`,
          () => send(route.id, { params, query: { [key]: value } }),
          findings,
        );
      }
    }
  }
  expect(findings).toEqual([]);
}, 300_000);
