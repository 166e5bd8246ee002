// Control, format (Cf) and bidirectional characters and lone surrogates: refused in a mailbox address (JSON API and
// admin form), and shown as visible escapes wherever the plugin's notifications and status lines carry an address or
// a provider's words (a stored address from before the check, an ID token's claims, error_description).
import { jsonApiRoutes } from '../../../plugin/accounts/json-api';
import { adminRoutes, ADMIN_ROUTE_IDS } from '../../../plugin/admin/admin-routes';
import { parseConfig } from '../../../plugin/config';
import { PluginError } from '../../../plugin/errors';
import { createFetchServices } from '../../../plugin/fetch/fetch-services';
import { connectedDetail, identityFromClaims, identityOwnsMailbox } from '../../../plugin/oauth/identity';
import type { HostResponse, LoggerPort, RouteDefinition } from '../../../plugin/ports/host';
import { FakeHostMail } from '../../helpers/fakes/fake-host-mail';
import { FakeMailServer } from '../../helpers/fakes/fake-mail-server';
import { FakeTokens } from '../../helpers/fakes/fake-tokens';
import { MemoryNotify } from '../../helpers/memory-notify';
import { createWorld, seedMicrosoftAccount, type World } from '../oauth/world';

const ADMIN = { id: 'admin-1', name: 'Admin', isAdmin: true };
const logger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

/** Each hidden character, and how the plugin shows it. */
const HIDDEN: ReadonlyArray<readonly [string, string]> = [
  ['\u0000', '\\u0000'],
  ['\u202E', '\\u202E'],
  ['\u200B', '\\u200B'],
  ['\u2066', '\\u2066'],
  ['\uFEFF', '\\uFEFF'],
  ['\uD800', '\\uD800'],
];

const SPOOFED = 'ulh0kevil\u202Egnp.exe@example.test';

async function send(routes: RouteDefinition[], id: string, form: Record<string, string>): Promise<HostResponse> {
  const route = routes.find((r) => r.id === id)!;
  return route.handle({ method: route.method, params: {}, query: {}, form, actor: ADMIN, csrfToken: 'csrf' });
}

function adminScreen(world: World): RouteDefinition[] {
  return adminRoutes({
    apps: world.services.apps,
    accounts: world.services.accounts,
    events: world.events,
    tester: { test: async () => ({ ok: true, steps: [] }) as never },
    fetchNow: async () => {
      throw new Error('not in this test');
    },
    publicUrl: (path) => `https://helpdesk.example.test/plugins/oauth2-mail${path}`,
    clock: world.clock,
    logger,
  });
}

function expectVisible(text: string, hidden: string, shown: string): void {
  expect(text).not.toContain(hidden);
  expect(text).toContain(shown);
}

describe('hidden characters in addresses', () => {
  it.each(HIDDEN)('a mailbox with %j is refused naming the field, in the JSON API and the form', async (hidden) => {
    const world = createWorld();
    const { appId } = await seedMicrosoftAccount(world);
    const mailbox = `help${hidden}desk@example.test`;
    const api = await send(
      jsonApiRoutes({ ...world.services, clock: world.clock }),
      'oauth2-mail.api.accounts.create',
      { appId, mailbox },
    );
    expect(api).toMatchObject({
      status: 400,
      body: { error: { code: 'ERR_INPUT_INVALID', details: { fields: ['mailbox'] } } },
    });
    const form = await send(adminScreen(world), ADMIN_ROUTE_IDS.accountCreate, {
      appId,
      mailbox,
      postFetchAction: 'mark_seen',
    });
    expect(form).toMatchObject({ kind: 'page', status: 400 });
    expect((form as { html: string }).html).toContain('must not contain control, format or bidirectional characters');
    expect((await world.accounts.list()).map((a) => a.mailbox)).toEqual(['support@contoso.com']);
  });

  it('a notification about a mailbox stored before the check shows its hidden characters as escapes', async () => {
    const world = createWorld();
    const { appId } = await seedMicrosoftAccount(world);
    const account = await world.accounts.create({ appId, mailbox: SPOOFED, host: 'h', port: 993, tls: 'implicit' });
    await world.tokens.replace(account.id, {
      accessToken: 'a',
      accessTokenExpiresAt: world.clock.now() - 1,
      refreshToken: 'r',
      scope: null,
      at: world.clock.now(),
    });
    await world.accounts.setStatus(account.id, { status: 'connected', statusCode: null, statusDetail: null });
    world.oauth.onRefresh = async () => {
      throw new PluginError('ERR_GRANT_INVALID', 'AADSTS70008: expired \u202Edlrow', {
        providerError: 'invalid_grant',
      });
    };
    await expect(world.services.tokenService.getAccessToken(account.id)).rejects.toMatchObject({
      code: 'ERR_GRANT_INVALID',
    });
    const [note] = world.notify.sent;
    expect(note).toBeDefined();
    expectVisible(note!.title, '\u202E', 'Mailbox ulh0kevil\\u202Egnp.exe@example.test');
    expectVisible(note!.message, '\u202E', 'expired \\u202Edlrow');
  });

  it("the provider's error_description on the redirect is shown with its hidden characters visible", async () => {
    const world = createWorld();
    const { accountId } = await seedMicrosoftAccount(world);
    const { authorizationUrl } = await world.services.authorization.start(accountId, 'admin-1');
    const state = new URL(authorizationUrl).searchParams.get('state')!;
    const denied = await world.services.authorization
      .complete({ state, error: 'access_denied', error_description: 'Cancelled by \u202Enimda' }, 'admin-1')
      .catch((error: unknown) => error as PluginError);
    expectVisible(denied.message, '\u202E', 'Cancelled by \\u202Enimda');
    const events = await world.events.list({ accountId, limit: 10 });
    for (const event of events) expect(event.message).not.toContain('\u202E');
  });

  it('a delegate address with hidden characters never counts as an address, and who signed in is shown visibly', () => {
    const identity = identityFromClaims({ email: 'support@contoso.com\u200B', preferred_username: 'bob\u202E@x.test' });
    expect(identity.addresses).toEqual([]);
    expect(identityOwnsMailbox(identity, 'support@contoso.com')).toBe(false);
    expectVisible(identity.display, '\u202E', 'bob\\u202E@x.test');
    expect(connectedDetail(identity.display, 'support@contoso.com')).toBe(
      'Signed in as bob\\u202E@x.test for mailbox support@contoso.com.',
    );
  });

  it("the poll's notification shows a stored mailbox's hidden characters as escapes", async () => {
    const world = createWorld();
    const { appId } = await seedMicrosoftAccount(world);
    const account = await world.accounts.create({ appId, mailbox: SPOOFED, host: 'h', port: 993, tls: 'implicit' });
    await world.accounts.setStatus(account.id, { status: 'connected', statusCode: null, statusDetail: null });
    const server = new FakeMailServer();
    const notify = new MemoryNotify();
    const fetch = createFetchServices({
      accounts: world.accounts,
      events: world.events,
      ledger: world.ledger,
      appIncidents: world.services.appIncidents,
      tokens: new FakeTokens(server),
      fetcher: server,
      mail: new FakeHostMail(),
      notify,
      logger,
      clock: world.clock,
      config: parseConfig({ fetch: { batchSize: 10, accountTimeoutSeconds: 30 } }),
      ownerId: 'test',
    });
    server.faults.connect = () => new PluginError('ERR_MAIL_UNAVAILABLE', 'connect: refused by \u202Erevres');
    const [result] = await fetch.cycle.run({ signal: new AbortController().signal, accountId: account.id });
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'ERR_MAIL_UNAVAILABLE' } });
    const [note] = notify.sent;
    expectVisible(note!.title, '\u202E', 'Mail account ulh0kevil\\u202Egnp.exe@example.test');
    expectVisible(note!.message, '\u202E', '\\u202Erevres');
  });
});
