import { PluginError } from '../../../plugin/errors';
import { UnusableTokenResponseError, type TokenSet } from '../../../plugin/ports/oauth-client';
import { accountIncidentKey } from '../../../plugin/oauth/account-incidents';
import { appIncidentKey } from '../../../plugin/oauth/app-incidents';
import { createWorld, seedMicrosoftAccount, type World } from './world';

const HOUR = 3_600_000;

function tokenSet(world: World, n: number, refreshToken: string | null): TokenSet {
  return {
    accessToken: `access-${n}`,
    refreshToken,
    expiresAt: world.clock.now() + HOUR,
    scope: 'mail',
    idToken: null,
    tokenType: 'Bearer',
  };
}

async function connected(world: World, expiresInMs: number, refreshToken: string | null = 'refresh-0') {
  const ids = await seedMicrosoftAccount(world);
  await world.tokens.replace(ids.accountId, {
    accessToken: 'access-0',
    accessTokenExpiresAt: world.clock.now() + expiresInMs,
    refreshToken,
    scope: 'mail',
    at: world.clock.now(),
  });
  await world.accounts.setStatus(ids.accountId, {
    status: 'connected',
    statusCode: null,
    statusDetail: null,
    authorizedIdentity: 'support@contoso.com',
  });
  return ids;
}

function providerError(
  code: ConstructorParameters<typeof PluginError>[0],
  details: Record<string, string | number | readonly string[]>,
): PluginError {
  return new PluginError(code, `The token endpoint answered HTTP ${details.httpStatus ?? 400}.`, details);
}

describe('TokenService', () => {
  it('hands out a stored token that is valid beyond the skew without asking the provider', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, HOUR);
    const grant = await world.services.tokenService.getAccessToken(accountId);
    expect(grant.accessToken).toBe('access-0');
    expect(world.oauth.refreshCalls).toHaveLength(0);
  });

  it('refreshes once for many concurrent callers (single flight) and stores a rotated refresh token before handing out the access token', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, 60_000); // inside the 5-minute skew
    let stored: string | null | undefined;
    world.oauth.onRefresh = async (_grant, call) => {
      stored = (await world.tokens.find(accountId))?.refreshToken;
      return tokenSet(world, call, `refresh-${call}`);
    };
    const grants = await Promise.all(
      Array.from({ length: 10 }, () => world.services.tokenService.getAccessToken(accountId)),
    );
    expect(world.oauth.refreshCalls).toHaveLength(1);
    expect(world.oauth.refreshCalls[0]!.refreshToken).toBe('refresh-0');
    expect(stored).toBe('refresh-0');
    expect(new Set(grants.map((g) => g.accessToken))).toEqual(new Set(['access-1']));
    const row = await world.tokens.find(accountId);
    expect(row?.refreshToken).toBe('refresh-1');
    expect(row?.version).toBe(2);
    expect(world.events.types(accountId)).toEqual(expect.arrayContaining(['token_refreshed', 'token_rotated']));
  });

  it('keeps the old refresh token when the answer has none (Google, simple-oauth2 5.1.0)', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async () => tokenSet(world, 1, null);
    await world.services.tokenService.getAccessToken(accountId);
    expect((await world.tokens.find(accountId))?.refreshToken).toBe('refresh-0');
    expect(world.events.types(accountId)).not.toContain('token_rotated');
  });

  it('sends the requested scope on a Microsoft refresh (the first scope decides the audience)', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async () => tokenSet(world, 1, 'refresh-1');
    await world.services.tokenService.getAccessToken(accountId);
    expect(world.oauth.refreshCalls[0]!.scope).toBe(
      'openid profile email offline_access https://outlook.office.com/IMAP.AccessAsUser.All',
    );
  });

  it('invalid_grant on an unchanged row: needs_reauth, one event, one notification, and no second request for the same dead grant', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async () => {
      throw providerError('ERR_GRANT_INVALID', {
        httpStatus: 400,
        providerError: 'invalid_grant',
        providerCodes: ['70008'],
      });
    };
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_GRANT_INVALID',
    });
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_GRANT_INVALID',
    });
    expect(world.oauth.refreshCalls).toHaveLength(1);
    const account = await world.accounts.find(accountId);
    expect(account).toMatchObject({ status: 'needs_reauth', statusCode: 'ERR_GRANT_INVALID' });
    expect(world.notify.sent.map((n) => n.key)).toEqual([accountIncidentKey(accountId, 'ERR_GRANT_INVALID')]);
    expect((await world.tokens.find(accountId))?.refreshToken).toBe('refresh-0');
  });

  it('invalid_grant after another process rotated the token meanwhile: uses the new row, the account stays connected', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async () => {
      // The other process's refresh lands while ours is in flight (our lease lapsed): it wins the row.
      const row = (await world.tokens.find(accountId))!;
      await world.tokens.compareAndSwap(accountId, row.version, {
        accessToken: 'access-other',
        accessTokenExpiresAt: world.clock.now() + HOUR,
        refreshToken: 'refresh-other',
        scope: 'mail',
        at: world.clock.now(),
      });
      throw providerError('ERR_GRANT_INVALID', {
        httpStatus: 400,
        providerError: 'invalid_grant',
        providerCodes: ['70000'],
      });
    };
    const grant = await world.services.tokenService.getAccessToken(accountId);
    expect(grant.accessToken).toBe('access-other');
    expect((await world.accounts.find(accountId))?.status).toBe('connected');
    expect(world.notify.sent).toHaveLength(0);
  });

  it('an expired client secret (AADSTS7000222) is one incident of the app: the accounts with a grant say why, never-connected and re-authorize ones stay; the next good refresh of any account clears it', async () => {
    const world = createWorld();
    const { accountId, appId } = await connected(world, -1);
    const sibling = await world.services.accounts.create({ appId, mailbox: 'sales@contoso.com' }, 'admin-1');
    await world.tokens.replace(sibling.id, {
      accessToken: 'access-s',
      accessTokenExpiresAt: world.clock.now() - 1,
      refreshToken: 'refresh-s',
      scope: 'mail',
      at: world.clock.now(),
    });
    await world.accounts.setStatus(sibling.id, { status: 'connected', authorizedIdentity: 'sales@contoso.com' });
    const never = await world.services.accounts.create({ appId, mailbox: 'new@contoso.com' }, 'admin-1');
    const dead = await world.services.accounts.create({ appId, mailbox: 'dead@contoso.com' }, 'admin-1');
    await world.accounts.setStatus(dead.id, { status: 'needs_reauth', statusCode: 'ERR_GRANT_INVALID' });
    const untouched = [await world.accounts.find(never.id), await world.accounts.find(dead.id)];
    let refused = true;
    world.oauth.onRefresh = async () => {
      if (refused)
        throw providerError('ERR_CLIENT_INVALID', {
          httpStatus: 401,
          providerError: 'invalid_client',
          providerCodes: ['7000222'],
        });
      return {
        accessToken: 'access-new',
        expiresAt: world.clock.now() + HOUR,
        refreshToken: null,
        scope: 'mail',
        idToken: null,
        tokenType: 'Bearer',
      };
    };
    for (let i = 0; i < 2; i++)
      await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
        code: 'ERR_CLIENT_SECRET_EXPIRED',
      });
    for (const id of [accountId, sibling.id])
      expect(await world.accounts.find(id)).toMatchObject({
        status: 'app_error',
        statusCode: 'ERR_CLIENT_SECRET_EXPIRED',
        statusDetail: expect.stringContaining('The provider refused the app registration'),
      });
    expect([await world.accounts.find(never.id), await world.accounts.find(dead.id)]).toEqual(untouched);
    const key = appIncidentKey(appId, 'ERR_CLIENT_SECRET_EXPIRED');
    expect(world.notify.sent.map((n) => n.key)).toEqual([key]);
    expect(world.notify.open.get(key)?.message).toContain(
      'It stops 2 mailboxes: support@contoso.com, sales@contoso.com.',
    );
    expect((await world.apps.find(appId))?.incident).toMatchObject({ code: 'ERR_CLIENT_SECRET_EXPIRED' });

    refused = false;
    expect((await world.services.tokenService.getAccessToken(sibling.id)).accessToken).toBe('access-new');
    for (const id of [accountId, sibling.id])
      expect(await world.accounts.find(id)).toMatchObject({ status: 'connected', statusCode: null });
    expect([await world.accounts.find(never.id), await world.accounts.find(dead.id)]).toEqual(untouched);
    expect([...world.notify.open.keys()]).toEqual([]);
    expect((await world.apps.find(appId))?.incident).toBeNull();
    expect(
      world.events.events.filter((e) => e.type === 'status_changed' && e.accountId === accountId).map((e) => e.message),
    ).toEqual([expect.stringContaining('connected -> app_error'), expect.stringContaining('app_error -> connected')]);
  });

  it('a transient failure keeps the tokens, hands out a still-valid token, and backs off with jitter', async () => {
    const random = jest.fn(() => 0.5);
    const world = createWorld({ tokenOptions: { backoffBaseMs: 10_000, random } });
    const { accountId } = await connected(world, 120_000); // valid for 2 more minutes, inside the skew
    world.oauth.onRefresh = async () => {
      throw new PluginError('ERR_PROVIDER_UNAVAILABLE', 'The token endpoint did not answer in time.', {
        timeout: true,
      });
    };
    expect((await world.services.tokenService.getAccessToken(accountId)).accessToken).toBe('access-0');
    expect((await world.services.tokenService.getAccessToken(accountId)).accessToken).toBe('access-0');
    expect(world.oauth.refreshCalls).toHaveLength(1); // the second call was inside the backoff
    expect((await world.accounts.find(accountId))?.status).toBe('connected');

    world.clock.advance(115_000); // now unusable and still in backoff (7.5 s jittered of 10 s has passed long ago, so it retries)
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
    });
    expect(world.oauth.refreshCalls).toHaveLength(2);
    expect(await world.accounts.find(accountId)).toMatchObject({
      status: 'retrying',
      statusCode: 'ERR_PROVIDER_UNAVAILABLE',
    });
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_PROVIDER_UNAVAILABLE',
    });
    expect(world.oauth.refreshCalls).toHaveLength(2); // backoff: 2nd failure waits 15 s (20 s x 0.75)
    expect((await world.tokens.find(accountId))?.refreshToken).toBe('refresh-0');

    world.clock.advance(16_000);
    world.oauth.onRefresh = async () => tokenSet(world, 3, 'refresh-3');
    expect((await world.services.tokenService.getAccessToken(accountId)).accessToken).toBe('access-3');
    expect(await world.accounts.find(accountId)).toMatchObject({ status: 'connected', statusCode: null });
    expect(world.notify.resolved).toContain(accountIncidentKey(accountId, 'ERR_PROVIDER_UNAVAILABLE'));
    expect(world.notify.open.size).toBe(0);
  });

  it('waits for another process holding the lease and takes the version it stores', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    await world.tokens.acquireRefreshLease(accountId, 'other-process', world.clock.now() + 45_000, world.clock.now());
    let sleeps = 0;
    const waiter = createWorld({
      share: world,
      tokenOptions: {
        sleep: async () => {
          sleeps++;
          if (sleeps === 3) {
            const row = (await world.tokens.find(accountId))!;
            await world.tokens.compareAndSwap(accountId, row.version, {
              accessToken: 'access-other',
              accessTokenExpiresAt: world.clock.now() + HOUR,
              refreshToken: 'refresh-other',
              scope: 'mail',
              at: world.clock.now(),
            });
          }
        },
      },
    });
    const grant = await waiter.services.tokenService.getAccessToken(accountId);
    expect(grant.accessToken).toBe('access-other');
    expect(world.oauth.refreshCalls).toHaveLength(0);
    expect(sleeps).toBe(3);
  });

  it("takes over when the other process's lease lapses", async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    await world.tokens.acquireRefreshLease(accountId, 'crashed-process', world.clock.now() + 1_000, world.clock.now());
    const waiter = createWorld({ share: world, tokenOptions: { sleep: async (ms) => world.clock.advance(ms) } });
    world.oauth.onRefresh = async () => tokenSet(world, 1, 'refresh-1');
    expect((await waiter.services.tokenService.getAccessToken(accountId)).accessToken).toBe('access-1');
    expect(world.oauth.refreshCalls).toHaveLength(1);
  });

  it('a database failure while saving loses nothing: the old row stays and its refresh token is used next time', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async (_g, call) => tokenSet(world, call, `refresh-${call}`);
    world.tokens.failNextWrite = true;
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
    });
    const row = await world.tokens.find(accountId);
    expect(row).toMatchObject({ accessToken: 'access-0', refreshToken: 'refresh-0', version: 1 });
    // The lease was released, so the next call refreshes with the old refresh token right away.
    expect((await world.services.tokenService.getAccessToken(accountId)).accessToken).toBe('access-2');
    expect(world.oauth.refreshCalls.map((c) => c.refreshToken)).toEqual(['refresh-0', 'refresh-0']);
  });

  it('an expired token without a refresh token is a dead grant; without tokens the account is not connected', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1, null);
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_GRANT_INVALID',
    });
    expect((await world.accounts.find(accountId))?.status).toBe('needs_reauth');
    await world.tokens.delete(accountId);
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_NOT_CONNECTED',
    });
    expect(world.oauth.refreshCalls).toHaveLength(0);
  });

  it('an unusable answer that still carries a rotated refresh token: the new refresh token is stored, the old access token kept', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, -1);
    world.oauth.onRefresh = async (_grant, call) => {
      if (call === 1)
        throw new UnusableTokenResponseError('expires_in must be a positive number of seconds', 'refresh-rotated');
      return tokenSet(world, call, `refresh-${call}`);
    };
    const error = await world.services.tokenService.getAccessToken(accountId).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_RESPONSE_INVALID' });
    expect(JSON.stringify(error)).not.toContain('refresh-rotated');
    expect(await world.tokens.find(accountId)).toMatchObject({
      accessToken: 'access-0',
      refreshToken: 'refresh-rotated',
    });
    world.clock.advance(60_000);
    await world.services.tokenService.getAccessToken(accountId);
    expect(world.oauth.refreshCalls.map((c) => c.refreshToken)).toEqual(['refresh-0', 'refresh-rotated']);
  });

  it('forceRefresh refreshes a token that still looks valid (the mail server said it expired)', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, HOUR);
    world.oauth.onRefresh = async () => tokenSet(world, 1, 'refresh-1');
    expect((await world.services.tokenService.getAccessToken(accountId, { forceRefresh: true })).accessToken).toBe(
      'access-1',
    );
  });
});

describe('KeepAlive', () => {
  it('refreshes a grant idle for keepAliveDays once, and leaves fresh ones alone', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, HOUR);
    world.oauth.onRefresh = async (_g, call) => tokenSet(world, call, `refresh-${call}`);
    expect((await world.services.keepAlive.run()).refreshed).toEqual([]);
    world.clock.advance(7 * 24 * HOUR + 1);
    await world.tokens.replace(accountId, {
      ...(await world.tokens.find(accountId))!,
      at: world.clock.now() - 7 * 24 * HOUR - 1,
    });
    expect((await world.services.keepAlive.run()).refreshed).toEqual([accountId]);
    expect((await world.services.keepAlive.run()).refreshed).toEqual([]);
    expect(world.oauth.refreshCalls).toHaveLength(1);
    expect(world.events.types(accountId)).toContain('keep_alive');
  });

  it('a transient failure during keep-alive leaves a connected account connected', async () => {
    const world = createWorld();
    const { accountId } = await connected(world, HOUR);
    await world.tokens.replace(accountId, {
      ...(await world.tokens.find(accountId))!,
      at: world.clock.now() - 8 * 24 * HOUR,
    });
    world.oauth.onRefresh = async () => {
      throw new PluginError('ERR_PROVIDER_UNAVAILABLE', 'HTTP 503');
    };
    const result = await world.services.keepAlive.run();
    expect(result.failed).toEqual([{ accountId, code: 'ERR_PROVIDER_UNAVAILABLE' }]);
    expect((await world.accounts.find(accountId))?.status).toBe('connected');
  });
});
