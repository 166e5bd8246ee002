import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { hashState, pkceChallenge } from '../../../plugin/oauth/pkce';
import type { TokenSet } from '../../../plugin/ports/oauth-client';
import { createWorld, type World } from './world';

const ISSUER = 'https://login.example.test/tenant-1/v2.0';
const HOUR = 3_600_000;

let privateKey: KeyLike;
let jwk: Record<string, unknown>;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
});

/** A generic app pointing at a (fake) discovered issuer, and an account. */
async function setup(world: World, mailbox = 'alice@example.test', accountExtra: Record<string, unknown> = {}) {
  world.oauth.discovery = {
    issuer: ISSUER,
    authorizationEndpoint: 'https://login.example.test/authorize',
    tokenEndpoint: 'https://login.example.test/token',
    revocationEndpoint: 'https://login.example.test/revoke',
    userinfoEndpoint: 'https://login.example.test/userinfo',
    jwksUri: 'https://login.example.test/jwks',
    tokenEndpointAuthMethods: ['client_secret_post', 'client_secret_basic'],
  };
  world.oauth.jwks = { keys: [jwk] };
  const app = await world.services.apps.create(
    {
      name: 'Local',
      provider: 'generic',
      issuerUrl: ISSUER,
      clientId: 'client-1',
      clientSecret: 'secret-1',
      scopes: 'openid email offline_access mail',
    },
    'admin-1',
  );
  const account = await world.services.accounts.create(
    { appId: app.id, mailbox, host: 'imap.example.test', ...accountExtra },
    'admin-1',
  );
  return { appId: app.id, accountId: account.id };
}

async function idToken(
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresInS?: number; now: number },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? 'client-1')
    .setSubject(String(claims.sub ?? 'subject-1'))
    .setIssuedAt(Math.floor(options.now / 1000))
    .setExpirationTime(Math.floor(options.now / 1000) + (options.expiresInS ?? 3600))
    .sign(privateKey);
}

/** Starts Connect and scripts the code exchange to answer with an ID token carrying `claims`. */
async function startWith(
  world: World,
  accountId: string,
  claims: Record<string, unknown> | null,
  tokenOptions: { issuer?: string; audience?: string; expiresInS?: number; nonce?: string } = {},
) {
  const { authorizationUrl } = await world.services.authorization.start(accountId, 'admin-1');
  const url = new URL(authorizationUrl);
  const state = url.searchParams.get('state')!;
  const nonce = url.searchParams.get('nonce')!;
  world.oauth.onExchange = async (): Promise<TokenSet> => ({
    accessToken: 'access-new',
    refreshToken: 'refresh-new',
    expiresAt: world.clock.now() + HOUR,
    scope: 'openid email offline_access mail',
    idToken: claims
      ? await idToken({ nonce: tokenOptions.nonce ?? nonce, ...claims }, { ...tokenOptions, now: world.clock.now() })
      : null,
    tokenType: 'Bearer',
  });
  return { url, state };
}

describe('Connect: the authorization request', () => {
  it('sends state, PKCE S256, nonce and login_hint, and stores only the hash of the state', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { url, state } = await startWith(world, accountId, null);
    expect(url.origin + url.pathname).toBe('https://login.example.test/authorize');
    expect(Buffer.from(state, 'base64url')).toHaveLength(32);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('login_hint')).toBe('alice@example.test');
    expect(url.searchParams.get('redirect_uri')).toBe('https://helpdesk.example.com/plugins/oauth2-mail/callback');
    expect(url.searchParams.get('scope')).toBe('openid email offline_access mail');
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const stored = [...world.authRequests.requests.values()];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.stateHash).toBe(createHash('sha256').update(state).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(state);
    expect(pkceChallenge(stored[0]!.codeVerifier)).toBe(url.searchParams.get('code_challenge'));
    expect(stored[0]!.expiresAt - stored[0]!.createdAt).toBe(10 * 60 * 1000);
    expect(stored[0]!.actorId).toBe('admin-1');
  });

  it('PKCE S256 matches RFC 7636 Appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('Google gets access_type=offline and prompt=consent select_account; a delegate gets no login_hint', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c.apps.googleusercontent.com', clientSecret: 's' },
      'a',
    );
    const account = await world.services.accounts.create(
      { appId: app.id, mailbox: 'shared@example.com', sharedViaDelegate: 'true' },
      'a',
    );
    const { authorizationUrl } = await world.services.authorization.start(account.id, 'a');
    const url = new URL(authorizationUrl);
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent select_account');
    expect(url.searchParams.get('scope')).toBe('https://mail.google.com/ openid email');
    expect(url.searchParams.has('login_hint')).toBe(false);
  });

  it('Microsoft asks which account (prompt=select_account); a generic server only when its app says so', async () => {
    const world = createWorld();
    const endpoints = {
      authorizeUrl: 'https://idp.example.test/authorize',
      tokenUrl: 'https://idp.example.test/token',
    };
    const microsoft = await world.services.apps.create(
      { name: 'M', provider: 'microsoft', clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c', clientSecret: 's' },
      'a',
    );
    const generic = await world.services.apps.create(
      { name: 'X', provider: 'generic', ...endpoints, clientId: 'c', clientSecret: 's' },
      'a',
    );
    const promptOf = async (appId: string, mailbox: string, host?: string) => {
      const account = await world.services.accounts.create({ appId, mailbox, ...(host ? { host } : {}) }, 'a');
      const { authorizationUrl } = await world.services.authorization.start(account.id, 'a');
      return new URL(authorizationUrl).searchParams.get('prompt');
    };
    expect(await promptOf(microsoft.id, 'm@contoso.test')).toBe('select_account');
    expect(await promptOf(generic.id, 'g1@example.test', 'imap.example.test')).toBeNull();
    await world.services.apps.update(
      generic.id,
      {
        name: 'X',
        provider: 'generic',
        ...endpoints,
        clientId: 'c',
        authorizePrompt: 'select_account',
      },
      'a',
    );
    expect(await promptOf(generic.id, 'g2@example.test', 'imap.example.test')).toBe('select_account');
    await expect(
      world.services.apps.update(
        microsoft.id,
        { name: 'M', provider: 'microsoft', clientId: 'x', authorizePrompt: 'none' },
        'a',
      ),
    ).rejects.toMatchObject({ details: { fields: ['authorizePrompt', 'clientId'] } });
  });
});

describe('Connect: the callback', () => {
  it('an ID token naming the mailbox: tokens stored, connected, event, state single use', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'Alice@Example.test', email_verified: true });
    const result = await world.services.authorization.complete({ state, code: 'code-1' }, 'admin-1');
    expect(result).toMatchObject({
      accountId,
      authorizedIdentity: 'alice@example.test',
      delegate: false,
      message: 'Signed in as alice@example.test.',
    });
    expect(world.oauth.exchangeCalls[0]).toMatchObject({
      code: 'code-1',
      redirectUri: 'https://helpdesk.example.com/plugins/oauth2-mail/callback',
    });
    expect(pkceChallenge(world.oauth.exchangeCalls[0]!.codeVerifier)).toBe(
      world.oauth.authorizeParams[0]!.code_challenge,
    );
    expect(await world.tokens.find(accountId)).toMatchObject({
      accessToken: 'access-new',
      refreshToken: 'refresh-new',
    });
    expect(await world.accounts.find(accountId)).toMatchObject({
      status: 'connected',
      authorizedIdentity: 'alice@example.test',
    });
    expect(world.events.types(accountId)).toContain('token_obtained');
    expect(world.mail.attempts).toHaveLength(0);
    await expect(world.services.authorization.complete({ state, code: 'code-1' }, 'admin-1')).rejects.toMatchObject({
      code: 'ERR_STATE_REPLAYED',
    });
  });

  it.each([
    ['missing state', () => ({ code: 'c' }), 'ERR_STATE_UNKNOWN'],
    ['forged state', () => ({ state: 'forged-state-value', code: 'c' }), 'ERR_STATE_UNKNOWN'],
  ])('%s -> %s, nothing stored', async (_name, params, code) => {
    const world = createWorld();
    const { accountId } = await setup(world);
    await startWith(world, accountId, { email: 'alice@example.test' });
    await expect(world.services.authorization.complete(params(), 'admin-1')).rejects.toMatchObject({ code });
    expect(await world.tokens.find(accountId)).toBeNull();
    expect(world.oauth.exchangeCalls).toHaveLength(0);
  });

  it('an expired state (10 minutes) is refused and nothing is stored', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    world.clock.advance(10 * 60 * 1000);
    await expect(world.services.authorization.complete({ state, code: 'c' })).rejects.toMatchObject({
      code: 'ERR_STATE_EXPIRED',
    });
    expect(await world.tokens.find(accountId)).toBeNull();
  });

  it("another admin cannot finish someone else's Connect, and the right admin still can", async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    await expect(world.services.authorization.complete({ state, code: 'c' }, 'admin-2')).rejects.toMatchObject({
      code: 'ERR_STATE_OTHER_ADMIN',
    });
    expect(world.oauth.exchangeCalls).toHaveLength(0);
    await expect(world.services.authorization.complete({ state, code: 'c' }, 'admin-1')).resolves.toMatchObject({
      accountId,
    });
  });

  it.each([
    ['access_denied', 'The user declined.', 'ERR_AUTHORIZATION_DENIED'],
    ['consent_required', 'AADSTS65001: The user or administrator has not consented.', 'ERR_CONSENT_REQUIRED'],
    ['invalid_scope', 'AADSTS70011: The provided value for scope is not valid.', 'ERR_PROVIDER_CONFIG'],
  ])('error=%s from the provider -> %s, nothing stored, state used up', async (error, description, code) => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    const thrown = await world.services.authorization
      .complete({ state, error, error_description: description })
      .catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code });
    expect((thrown as Error).message).toContain(description);
    expect(await world.tokens.find(accountId)).toBeNull();
    expect(world.events.types(accountId)).toContain('auth_failed');
    await expect(world.services.authorization.complete({ state, code: 'c' })).rejects.toMatchObject({
      code: 'ERR_STATE_REPLAYED',
    });
  });

  it('a missing code is named', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    await expect(world.services.authorization.complete({ state })).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_CODE_MISSING',
    });
    expect(await world.tokens.find(accountId)).toBeNull();
  });

  it('RFC 9207: iss on the redirect must be the issuer, and is required where discovery announces it', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const complete = async (iss?: string) => {
      const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
      return world.services.authorization.complete({ state, code: 'c', ...(iss === undefined ? {} : { iss }) });
    };
    // A provider that does not announce it may leave iss out, but a wrong one is refused all the same.
    await expect(complete()).resolves.toMatchObject({ accountId });
    await expect(complete('https://evil.example.test')).rejects.toMatchObject({
      code: 'ERR_PROVIDER_CONFIG',
      details: { check: 'iss' },
    });
    world.oauth.discovery = { ...world.oauth.discovery!, authorizationResponseIssParameterSupported: true };
    world.services.endpoints.forget();
    const before = await world.tokens.find(accountId);
    for (const missing of [undefined, '']) {
      await expect(complete(missing)).rejects.toMatchObject({ code: 'ERR_PROVIDER_CONFIG', details: { check: 'iss' } });
    }
    expect(await world.tokens.find(accountId)).toEqual(before);
    await expect(complete(`${ISSUER}/`)).resolves.toMatchObject({ accountId });
  });

  it.each([
    ['a wrong nonce', { nonce: 'another-sign-in' }, 'nonce'],
    ['a wrong audience', { audience: 'another-client' }, 'aud'],
    ['a wrong issuer', { issuer: 'https://evil.example.test' }, 'iss'],
    ['an expired token', { expiresInS: -600 }, 'exp'],
  ])('an ID token with %s is refused (%s check) and nothing is stored', async (_name, tokenOptions, check) => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' }, tokenOptions);
    await expect(world.services.authorization.complete({ state, code: 'c' })).rejects.toMatchObject({
      code: 'ERR_ID_TOKEN_INVALID',
      details: { check },
    });
    expect(await world.tokens.find(accountId)).toBeNull();
  });

  it('another identity that cannot open the mailbox: nothing stored, the message says who signed in', async () => {
    const world = createWorld();
    const { accountId } = await setup(world, 'shared@example.test');
    const { state } = await startWith(world, accountId, { email: 'bob@example.test' });
    const thrown = await world.services.authorization.complete({ state, code: 'c' }).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: 'ERR_IDENTITY_MISMATCH' });
    expect((thrown as Error).message).toContain('Signed in as bob@example.test');
    expect((thrown as Error).message).toContain('shared@example.test');
    expect(world.mail.attempts.map((a) => a.user)).toEqual(['shared@example.test']);
    expect(await world.tokens.find(accountId)).toBeNull();
    expect((await world.accounts.find(accountId))?.status).toBe('not_connected');
  });

  it('a hybrid account whose UPN is not the mailbox, proven by a mailbox login, is stored as a delegate', async () => {
    const world = createWorld();
    const { accountId } = await setup(world, 'carol@example.test');
    world.mailboxAccess.add('carol@example.test|access-new');
    const { state } = await startWith(world, accountId, { preferred_username: 'carol@corp.example.test' });
    const result = await world.services.authorization.complete({ state, code: 'c' });
    expect(result).toMatchObject({
      delegate: true,
      message: 'Signed in as carol@corp.example.test for mailbox carol@example.test.',
    });
    expect(await world.accounts.find(accountId)).toMatchObject({
      status: 'connected',
      authorizedIdentity: 'carol@corp.example.test',
      statusDetail: 'Signed in as carol@corp.example.test for mailbox carol@example.test.',
    });
    expect(await world.tokens.find(accountId)).toMatchObject({ accessToken: 'access-new' });
  });

  it('without an ID token the userinfo endpoint names the identity', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    world.oauth.userinfo = { sub: 'x', email: 'alice@example.test', email_verified: true };
    const { state } = await startWith(world, accountId, null);
    await expect(world.services.authorization.complete({ state, code: 'c' })).resolves.toMatchObject({
      authorizedIdentity: 'alice@example.test',
      delegate: false,
    });
  });

  it('an unverified email does not count as the mailbox', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, {
      email: 'alice@example.test',
      email_verified: false,
      preferred_username: 'mallory',
    });
    await expect(world.services.authorization.complete({ state, code: 'c' })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_MISMATCH',
    });
  });

  it('hashState is what the repository is searched by', () => {
    expect(hashState('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('Disconnect', () => {
  it('revokes the refresh token where the provider can, deletes the tokens and records it', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    await world.services.authorization.complete({ state, code: 'c' });
    const result = await world.services.accounts.disconnect(accountId, 'admin-1');
    expect(result).toMatchObject({ revoked: true, revocationSupported: true, warning: null });
    expect(world.oauth.revokeCalls).toEqual([
      { token: 'refresh-new', tokenTypeHint: 'refresh_token', url: 'https://login.example.test/revoke' },
    ]);
    expect(await world.tokens.find(accountId)).toBeNull();
    expect((await world.accounts.find(accountId))?.status).toBe('not_connected');
    expect(world.events.types(accountId)).toEqual(expect.arrayContaining(['token_revoked', 'disconnected']));
  });

  it('a failed revocation still deletes the tokens and says so', async () => {
    const world = createWorld();
    const { accountId } = await setup(world);
    const { state } = await startWith(world, accountId, { email: 'alice@example.test' });
    await world.services.authorization.complete({ state, code: 'c' });
    world.oauth.onRevoke = async () => {
      throw new Error('HTTP 503');
    };
    const result = await world.services.accounts.disconnect(accountId, 'admin-1');
    expect(result.revoked).toBe(false);
    expect(result.warning).toBeTruthy();
    expect(await world.tokens.find(accountId)).toBeNull();
  });

  it('Microsoft has no revocation endpoint: the tokens are only deleted', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'M', provider: 'microsoft', clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c', clientSecret: 's' },
      'a',
    );
    const account = await world.services.accounts.create({ appId: app.id, mailbox: 'x@contoso.com' }, 'a');
    await world.tokens.replace(account.id, {
      accessToken: 'a',
      accessTokenExpiresAt: world.clock.now() + HOUR,
      refreshToken: 'r',
      scope: null,
      at: world.clock.now(),
    });
    expect(await world.services.accounts.disconnect(account.id, 'a')).toMatchObject({
      revoked: false,
      revocationSupported: false,
      warning: null,
    });
    expect(world.oauth.revokeCalls).toHaveLength(0);
    expect(await world.tokens.find(account.id)).toBeNull();
  });
});
