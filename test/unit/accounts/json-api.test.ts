import { jsonApiRoutes, JSON_API_ROUTES } from '../../../plugin/accounts/json-api';
import { callbackRoute } from '../../../plugin/oauth/callback-route';
import type { HostRequest, HostResponse, RouteDefinition } from '../../../plugin/ports/host';
import { createWorld } from '../oauth/world';

const ADMIN = { id: 'admin-1', name: 'Admin', isAdmin: true };

function call(
  routes: RouteDefinition[],
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string>,
  form: Record<string, string> = {},
  actor: HostRequest['actor'] | null = ADMIN,
): Promise<HostResponse> {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no route ${method} ${path}`);
  return route.handle({ method, params, query: {}, form, actor: actor ?? undefined });
}

describe('JSON API', () => {
  it('declares admin routes only, and refuses a request without an admin', async () => {
    const world = createWorld();
    const routes = jsonApiRoutes({ ...world.services, clock: world.clock });
    expect(routes.map((r) => r.auth)).toEqual(Array(JSON_API_ROUTES.length).fill('admin'));
    await expect(call(routes, 'GET', '/api/apps', {}, {}, null)).resolves.toMatchObject({
      status: 403,
      body: { error: { code: 'ERR_FORBIDDEN' } },
    });
  });

  it('creates an app and an account from form strings; errors carry code, message, fix and the fields', async () => {
    const world = createWorld();
    const routes = jsonApiRoutes({ ...world.services, clock: world.clock });
    const bad = await call(
      routes,
      'POST',
      '/api/apps',
      {},
      { name: 'G', provider: 'google', tenant: 'common', clientId: 'c' },
    );
    expect(bad).toMatchObject({
      kind: 'json',
      status: 400,
      body: {
        error: { code: 'ERR_INPUT_INVALID', fix: expect.any(String), details: { fields: ['clientSecret', 'tenant'] } },
      },
    });
    const created = await call(
      routes,
      'POST',
      '/api/apps',
      {},
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 'the-secret' },
    );
    expect(created).toMatchObject({ status: 201, body: { app: { name: 'G' } } });
    expect(JSON.stringify(created)).not.toContain('the-secret');
    const appId = (created as { body: { app: { id: string } } }).body.app.id;
    const account = await call(routes, 'POST', '/api/accounts', {}, { appId, mailbox: 'help@example.com' });
    expect(account).toMatchObject({
      status: 201,
      body: {
        account: {
          mailbox: 'help@example.com',
          host: 'imap.gmail.com',
          status: 'not_connected',
          statusCode: null,
          authorizedIdentity: null,
          lastPollAt: null,
        },
      },
    });
    const accountId = (account as { body: { account: { id: string } } }).body.account.id;
    const connect = await call(routes, 'POST', '/api/accounts/:id/:action', { id: accountId, action: 'connect' });
    expect(connect).toMatchObject({
      status: 200,
      body: { authorizationUrl: expect.stringContaining('https://accounts.google.com/o/oauth2/v2/auth?') },
    });
    await expect(
      call(routes, 'POST', '/api/accounts/:id/:action', { id: accountId, action: 'explode' }),
    ).resolves.toMatchObject({ status: 404 });
    await expect(call(routes, 'GET', '/api/accounts/:id', { id: '999' })).resolves.toMatchObject({
      status: 404,
      body: { error: { code: 'ERR_NOT_FOUND' } },
    });
    await expect(call(routes, 'POST', '/api/apps/:id/:action', { id: appId, action: 'remove' })).resolves.toMatchObject(
      { status: 409, body: { error: { code: 'ERR_CONFLICT' } } },
    );
  });

  it('an account summary says who polls it while a poll lease is held, and nothing once it lapsed', async () => {
    const world = createWorld();
    const routes = jsonApiRoutes({ ...world.services, clock: world.clock });
    const app = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const account = await world.services.accounts.create({ appId: app.id, mailbox: 'help@example.com' }, 'a');
    await world.accounts.setStatus(account.id, { status: 'connected' });
    const now = world.clock.now();
    await world.accounts.acquireLease(account.id, 'db-2.example:4242:0a1b2c3d', now + 60_000, now);
    const summary = async () =>
      ((await call(routes, 'GET', '/api/accounts/:id', { id: account.id })) as { body: { account: unknown } }).body
        .account;
    expect(await summary()).toMatchObject({
      status: 'connected',
      activity: 'waiting_for_other_process',
      leaseOwner: 'db-2.example:4242:0a1b2c3d',
      leaseUntil: now + 60_000,
    });
    world.clock.advance(60_001);
    expect(await summary()).toMatchObject({ status: 'connected', activity: null, leaseOwner: null, leaseUntil: null });
  });
});

describe('callback page', () => {
  it('renders a refusal with its fix, every value escaped, and never a 500 for a bad request', async () => {
    const world = createWorld();
    const route = callbackRoute(world.services.authorization, '/plugins/oauth2-mail/accounts', world.logger);
    expect(route).toMatchObject({ id: 'oauth2-mail.callback', method: 'GET', path: '/callback', auth: 'none' });
    const unknown = await route.handle({
      method: 'GET',
      params: {},
      query: { state: 'forged', code: '<img src=x onerror=alert(1)>' },
      form: {},
    });
    expect(unknown).toMatchObject({ kind: 'page', status: 400 });
    const html = (unknown as { html: string }).html;
    expect(html).toContain('This sign-in link is not known');
    expect(html).toContain('Start again with Connect');
    expect(html).toContain('ERR_STATE_UNKNOWN');

    const app = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const account = await world.services.accounts.create({ appId: app.id, mailbox: 'help@example.com' }, 'a');
    const { authorizationUrl } = await world.services.authorization.start(account.id, 'admin-1');
    const state = new URL(authorizationUrl).searchParams.get('state')!;
    const denied = await route.handle({
      method: 'GET',
      params: {},
      query: { state, error: 'access_denied', error_description: '<script>alert(1)</script>' },
      form: {},
    });
    // A known sign-in ends on the account's page: the code in the query (no provider words), reloading harmless.
    expect(denied).toEqual({
      kind: 'redirect',
      location: `/accounts/${account.id}?notice=connect_failed&code=ERR_AUTHORIZATION_DENIED`,
    });
    const again = await route.handle({ method: 'GET', params: {}, query: { state, error: 'access_denied' }, form: {} });
    expect(again).toEqual({ kind: 'redirect', location: `/accounts/${account.id}?notice=connect_link_used` });
  });
});
