/**
 * The whole code + PKCE flow against the local oidc-provider (microsoft-like and google-like profiles) over
 * https, then refresh, rotation, the Google refresh-token trap, revocation, misbehaving token endpoints, a
 * database lost during the save, and a scan of everything written or logged for the real token and secret strings.
 */
import { AuthorizationCode } from 'simple-oauth2';
import { createKnex } from '../../../host/create-knex';
import { trustedAgentFor } from '../../../adapters/http/trusted-agent';
import { httpRequest } from '../../../adapters/http/http-request';
import { connectFailedPage } from '../../../plugin/oauth/callback-page';
import type { StoredToken } from '../../../plugin/ports/token-repository';
import { completeAuthorization, startOAuthServer, tempDir, type OAuthServerHandle } from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { buildCore, connect, createApp, dumpPluginTables, expireStoredToken, type Core } from './harness';

jest.setTimeout(90_000);

const seen = new Set<string>();
const thrown: unknown[] = [];
function remember(row: StoredToken | null): StoredToken {
  if (!row) throw new Error('no tokens stored');
  seen.add(row.accessToken);
  if (row.refreshToken) seen.add(row.refreshToken);
  return row;
}

async function expectUsable(server: OAuthServerHandle, accessToken: string): Promise<void> {
  // Token introspection (what Dovecot asks) says whether the provider still accepts the access token.
  const { clientId, clientSecret } = server.introspectionClient;
  const response = await httpRequest({
    method: 'POST',
    url: server.endpoints.introspection,
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: accessToken }).toString(),
    timeoutMs: 5_000,
    caCertPem: server.caCertPem,
  });
  expect(response.status).toBe(200);
  expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ active: true, email: 'alice@example.test' });
}

describe.each(['microsoft', 'google'] as const)('%s profile', (profile) => {
  let server: OAuthServerHandle;
  let core: Core;
  let dir: string;
  let accountId: string;
  let appId: string;

  beforeAll(async () => {
    dir = tempDir(`oauth-${profile}`);
    server = await startOAuthServer({ profile, dir, redirectUris: [TEST_REDIRECT_URI] });
    seen.add(server.client.clientSecret);
    core = await buildCore(createKnex(`${dir}/db.sqlite`), server, {
      tokenOptions: { backoffBaseMs: 1, backoffMaxMs: 1, leaseMs: 3_000 },
      timeoutMs: 1_500,
    });
    appId = await createApp(core, server);
    accountId = (
      await core.services.accounts.create(
        { appId, mailbox: 'alice@example.test', host: '127.0.0.1', port: '993' },
        'admin-1',
      )
    ).id;
  });

  afterAll(async () => {
    await core?.knex.destroy();
    await server?.stop();
  });

  it('Connect: code + PKCE over https, ID token checked, tokens stored sealed, account connected', async () => {
    const { params, result } = await connect(core, server, accountId, 'alice@example.test');
    expect(params.code).toBeTruthy();
    expect(result).toMatchObject({ accountId, authorizedIdentity: 'alice@example.test', delegate: false });
    const row = remember(await core.repositories.tokens.find(accountId));
    expect(row.refreshToken).toBeTruthy();
    expect(await core.repositories.accounts.find(accountId)).toMatchObject({
      status: 'connected',
      authorizedIdentity: 'alice@example.test',
    });
    const stats = await server.stats();
    expect(stats.codeRequests).toBe(1);
    await expectUsable(server, row.accessToken);
  });

  it('the state is single use: the same callback again stores nothing new', async () => {
    const before = await core.repositories.tokens.find(accountId);
    const { authorizationUrl } = await core.services.authorization.start(accountId, 'admin-1');
    const state = new URL(authorizationUrl).searchParams.get('state')!;
    await expect(
      core.services.authorization.complete({ state, error: 'access_denied', error_description: 'The user cancelled.' }),
    ).rejects.toMatchObject({ code: 'ERR_AUTHORIZATION_DENIED' });
    await expect(core.services.authorization.complete({ state, code: 'stolen-code' })).rejects.toMatchObject({
      code: 'ERR_STATE_REPLAYED',
    });
    expect(await core.repositories.tokens.find(accountId)).toEqual(before);
  });

  it('RFC 9207: the server advertises iss on the redirect, so a callback without it (or with another) stores nothing', async () => {
    const before = await core.repositories.tokens.find(accountId);
    for (const forge of [
      (p: Record<string, string>) => delete p.iss,
      (p: Record<string, string>) => (p.iss = 'https://evil.example.test'),
    ]) {
      const { authorizationUrl } = await core.services.authorization.start(accountId, 'admin-1');
      const user = server.user('alice@example.test');
      const redirect = await completeAuthorization(authorizationUrl, {
        login: user.login,
        password: user.password!,
        caCertPem: server.caCertPem,
      });
      const params = Object.fromEntries(new URL(redirect).searchParams);
      expect(params.iss).toBe(server.issuer);
      forge(params);
      await expect(core.services.authorization.complete(params, 'admin-1')).rejects.toMatchObject({
        code: 'ERR_PROVIDER_CONFIG',
        details: { check: 'iss' },
      });
    }
    expect(await core.repositories.tokens.find(accountId)).toEqual(before);
  });

  it('refresh at expiry: one token request, the new tokens stored (rotated for Microsoft, the old refresh token kept for Google)', async () => {
    const before = remember(await core.repositories.tokens.find(accountId));
    await expireStoredToken(core.knex, accountId);
    await server.resetStats();
    const grants = await Promise.all([1, 2, 3, 4, 5].map(() => core.services.tokenService.getAccessToken(accountId)));
    expect((await server.stats()).refreshRequests).toBe(1);
    const after = remember(await core.repositories.tokens.find(accountId));
    expect(new Set(grants.map((g) => g.accessToken))).toEqual(new Set([after.accessToken]));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.version).toBe(before.version + 1);
    if (profile === 'microsoft') expect(after.refreshToken).not.toBe(before.refreshToken);
    else expect(after.refreshToken).toBe(before.refreshToken);
    await expectUsable(server, after.accessToken);
    // The kept (or rotated) refresh token works for the next refresh too.
    await expireStoredToken(core.knex, accountId);
    remember(await core.repositories.tokens.find(accountId));
    await core.services.tokenService.getAccessToken(accountId);
    expect((await server.stats()).refreshRequests).toBe(2);
    remember(await core.repositories.tokens.find(accountId));
  });

  if (profile === 'google') {
    it('simple-oauth2 5.1.0 drops the refresh token on a Google refresh; the adapter reports null and the service keeps the old one', async () => {
      const row = remember(await core.repositories.tokens.find(accountId));
      const library = new AuthorizationCode({
        client: { id: server.client.clientId, secret: server.client.clientSecret },
        auth: { tokenHost: server.origin, tokenPath: server.endpoints.token },
        options: { authorizationMethod: 'body' },
        http: { agent: trustedAgentFor(new URL(server.origin), server.caCertPem), timeout: 5_000 },
      });
      const refreshed = await library.createToken({ refresh_token: row.refreshToken }).refresh();
      seen.add(String(refreshed.token.access_token));
      expect('refresh_token' in refreshed.token).toBe(true);
      expect(refreshed.token.refresh_token).toBeUndefined();
      const config = {
        endpoints: (await core.services.endpoints.resolve((await core.repositories.apps.find(appId))!)).endpoints,
        clientId: server.client.clientId,
        clientSecret: server.client.clientSecret,
        clientAuthMethod: 'client_secret_post' as const,
      };
      const viaAdapter = await core.oauthClient.refresh(config, { refreshToken: row.refreshToken! });
      seen.add(viaAdapter.accessToken);
      expect(viaAdapter.refreshToken).toBeNull();
    });
  }

  it.each([
    ['html', {}, 'ERR_TOKEN_RESPONSE_INVALID'],
    ['empty', {}, 'ERR_TOKEN_RESPONSE_INVALID'],
    ['no_access_token', {}, 'ERR_TOKEN_RESPONSE_INVALID'],
    ['expires_in_string', { value: 'abc' }, 'ERR_TOKEN_RESPONSE_INVALID'],
    ['500', {}, 'ERR_PROVIDER_UNAVAILABLE'],
    ['slow', { delayMs: 4_000 }, 'ERR_PROVIDER_UNAVAILABLE'],
  ] as const)(
    'token endpoint fault %s -> %s, tokens kept, status retrying, then recovered',
    async (mode, options, code) => {
      await expireStoredToken(core.knex, accountId);
      const before = remember(await core.repositories.tokens.find(accountId));
      await server.fault(mode, 1, options);
      const error = await core.services.tokenService.getAccessToken(accountId).catch((e: unknown) => e);
      thrown.push(error);
      expect(error).toMatchObject({ code });
      const kept = await core.repositories.tokens.find(accountId);
      expect(kept?.accessToken).toBe(before.accessToken);
      if (mode === 'expires_in_string' && profile === 'microsoft') {
        // The answer was unusable but carried a rotated refresh token: it was stored, the old one is retired at the server.
        expect(kept?.refreshToken).not.toBe(before.refreshToken);
        remember(kept);
      } else {
        expect(kept).toEqual(before);
      }
      expect(await core.repositories.accounts.find(accountId)).toMatchObject({ status: 'retrying', statusCode: code });
      await new Promise((resolve) => setTimeout(resolve, 5)); // past the 1 ms test backoff
      const grant = await core.services.tokenService.getAccessToken(accountId);
      remember(await core.repositories.tokens.find(accountId));
      expect(grant.accessToken).not.toBe(before.accessToken);
      expect(await core.repositories.accounts.find(accountId)).toMatchObject({ status: 'connected', statusCode: null });
      expect(core.notify.open.size).toBe(0);
    },
  );

  it('expires_in "3599" as a string is accepted', async () => {
    await expireStoredToken(core.knex, accountId);
    await server.fault('expires_in_string', 1, { value: '3599' });
    const grant = await core.services.tokenService.getAccessToken(accountId);
    remember(await core.repositories.tokens.find(accountId));
    expect(grant.expiresAt - Date.now()).toBeGreaterThan(3_500_000);
  });

  it('a refused client secret is one incident of the app (a never-connected sibling stays as it is); the next good refresh clears it', async () => {
    const sibling = await core.services.accounts.create(
      { appId, mailbox: 'bob@example.test', host: '127.0.0.1', port: '993' },
      'admin-1',
    );
    await expireStoredToken(core.knex, accountId);
    await server.fault('invalid_client', 1);
    const error = await core.services.tokenService.getAccessToken(accountId).catch((e: unknown) => e);
    thrown.push(error);
    const code = profile === 'microsoft' ? 'ERR_CLIENT_SECRET_EXPIRED' : 'ERR_CLIENT_INVALID';
    expect(error).toMatchObject({ code });
    expect((await core.repositories.accounts.find(accountId))?.status).toBe('app_error');
    expect((await core.repositories.accounts.find(sibling.id))?.status).toBe('not_connected');
    expect([...core.notify.open.keys()]).toEqual([`oauth2-mail:app:${appId}:${code}`]);
    await core.services.tokenService.getAccessToken(accountId);
    remember(await core.repositories.tokens.find(accountId));
    expect((await core.repositories.accounts.find(accountId))?.status).toBe('connected');
    expect([...core.notify.open.keys()]).toEqual([]);
    expect((await core.repositories.apps.find(appId))?.incident).toBeNull();
    await core.services.accounts.remove(sibling.id, 'admin-1');
  });

  it('the database lost during the save: nothing half-written, the old token still usable, and the next refresh works', async () => {
    await expireStoredToken(core.knex, accountId);
    const before = remember(await core.repositories.tokens.find(accountId));
    await core
      .knex('oauth2_mail_tokens')
      .where({ account_id: Number(accountId) })
      .update({ access_expires_at: Date.now() + 60_000 });
    const originalCas = core.repositories.tokens.compareAndSwap.bind(core.repositories.tokens);
    const doomed = core.knex;
    core.repositories.tokens.compareAndSwap = async (...args) => {
      await doomed.destroy(); // the connection pool goes away between the provider's answer and our write
      return originalCas(...args);
    };
    const error = await core.services.tokenService
      .getAccessToken(accountId, { forceRefresh: true })
      .catch((e: unknown) => e);
    thrown.push(error);
    expect(error).toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE' });
    core.repositories.tokens.compareAndSwap = originalCas;

    // A new process (new pool, same database file) sees exactly the old row.
    const reopened = await buildCore(createKnex(`${dir}/db.sqlite`), server, { secretKey: core.secretKey });
    try {
      const row = await reopened.repositories.tokens.find(accountId);
      expect({ ...row, version: row?.version }).toEqual({ ...before, accessTokenExpiresAt: row?.accessTokenExpiresAt });
      await expectUsable(server, before.accessToken);
      if (profile === 'google') {
        // Google does not rotate: the kept refresh token still refreshes, once the dead process's refresh lease (3 s here) lapses.
        await expireStoredToken(reopened.knex, accountId);
        await reopened.services.tokenService.getAccessToken(accountId);
        remember(await reopened.repositories.tokens.find(accountId));
      }
    } finally {
      await reopened.knex.destroy();
    }
  });

  afterEach(async () => {
    // The database test destroys the pool: later tests continue on a fresh one (same file, same key).
    if ((core.knex.client as { pool?: unknown }).pool) return;
    core = await buildCore(createKnex(`${dir}/db.sqlite`), server, {
      secretKey: core.secretKey,
      tokenOptions: { backoffBaseMs: 1, backoffMaxMs: 1, leaseMs: 3_000 },
    });
  });

  it('Disconnect revokes where the provider publishes RFC 7009 revocation, and deletes the tokens', async () => {
    const row = remember(await core.repositories.tokens.find(accountId));
    await server.resetStats();
    const result = await core.services.accounts.disconnect(accountId, 'admin-1');
    expect(result).toMatchObject({ revoked: true, revocationSupported: true });
    expect((await server.stats()).revocationRequests).toBe(1);
    expect(await core.repositories.tokens.find(accountId)).toBeNull();
    expect(await core.repositories.accounts.find(accountId)).toMatchObject({
      status: 'not_connected',
      authorizedIdentity: null,
    });
    // The provider no longer accepts the revoked grant.
    const app = (await core.repositories.apps.find(appId))!;
    const { endpoints } = await core.services.endpoints.resolve(app);
    const error = await core.oauthClient
      .refresh(
        {
          endpoints,
          clientId: app.clientId,
          clientSecret: server.client.clientSecret,
          clientAuthMethod: 'client_secret_post',
        },
        { refreshToken: row.refreshToken! },
      )
      .catch((e: unknown) => e);
    thrown.push(error);
    expect(error).toMatchObject({ code: 'ERR_GRANT_INVALID' });
    await expect(core.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED',
    });
  });

  it('no token or secret in plain text: not in the database rows, events, logs, notifications, errors or error pages', async () => {
    expect(seen.size).toBeGreaterThan(5);
    const haystacks = {
      database: await dumpPluginTables(core.knex),
      logs: core.logger.text(),
      notifications: JSON.stringify(core.notify.sent),
      errors: JSON.stringify(
        thrown.map((e) => ({
          message: (e as Error).message,
          details: (e as { details?: unknown }).details,
          cause: String((e as { cause?: unknown }).cause ?? ''),
        })),
      ),
      pages: thrown.map((e) => JSON.stringify(connectFailedPage(e, '/accounts'))).join('\n'),
      serverLog: '',
    };
    expect(haystacks.database).toContain('alice@example.test'); // the scan reads real rows
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of seen) {
        if (text.includes(secret)) throw new Error(`a token or secret appears in plain text in ${where}`);
      }
    }
  });
});
