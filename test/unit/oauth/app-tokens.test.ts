/**
 * App-only and service-account accounts in the OAuth core with fakes: Connect without a browser (token, mailbox
 * login, stored), a new app token before expiry under the same single flight as a refresh, certificate apps sending
 * an assertion and no secret, and what each refusal means (assertion, expired certificate, delegation, mailbox).
 */
import * as crypto from 'node:crypto';
import { decodeJwt } from 'jose';
import { PluginError } from '../../../plugin/errors';
import type { TokenSet } from '../../../plugin/ports/oauth-client';
import { createClientCertificate, tempDir, type ClientCertificate } from '../../helpers/test-env';
import { createWorld, type World } from './world';

const HOUR = 3_600_000;
let certificate: ClientCertificate;
let serviceAccountKey: string;

beforeAll(() => {
  certificate = createClientCertificate(tempDir('o2m-app-tokens'), { name: 'app' });
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  serviceAccountKey = JSON.stringify({
    type: 'service_account',
    private_key_id: 'k1',
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    client_email: 'mail@p.iam.gserviceaccount.com',
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
});

function appToken(world: World, n: number): TokenSet {
  return {
    accessToken: `app-${n}`,
    refreshToken: null,
    expiresAt: world.clock.now() + HOUR,
    scope: null,
    idToken: null,
    tokenType: 'Bearer',
  };
}

async function appOnlyAccount(world: World, credential: Record<string, string>, mailbox = 'support@contoso.com') {
  const app = await world.services.apps.create(
    {
      name: 'Contoso',
      provider: 'microsoft',
      tenant: 'contoso.com',
      clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
      ...credential,
    },
    'admin-1',
  );
  const account = await world.services.accounts.create({ appId: app.id, mailbox, authMode: 'app_only' }, 'admin-1');
  return { appId: app.id, accountId: account.id };
}

describe('app-only accounts', () => {
  it('connect without a browser: client credentials with the Exchange .default scope, the mailbox login, then stored without a refresh token', async () => {
    const world = createWorld();
    const { accountId } = await appOnlyAccount(world, { clientSecret: 'secret-1' });
    world.oauth.onClientCredentials = async (_grant, n) => appToken(world, n);
    world.mailboxAccess.add('support@contoso.com|app-1');
    const started = await world.services.accounts.connect(accountId, 'admin-1');
    expect(started).toMatchObject({ kind: 'connected', result: { authorizedIdentity: null, delegate: false } });
    expect(world.oauth.clientCredentialsCalls).toEqual([{ scope: 'https://outlook.office365.com/.default' }]);
    expect(world.oauth.configs[0]).toMatchObject({ clientAuthMethod: 'client_secret_post', clientSecret: 'secret-1' });
    expect(await world.tokens.find(accountId)).toMatchObject({ accessToken: 'app-1', refreshToken: null });
    expect(await world.accounts.find(accountId)).toMatchObject({
      status: 'connected',
      statusDetail: expect.stringContaining("app's own token (app-only)"),
    });
    expect(world.oauth.authorizeParams).toHaveLength(0);
  });

  it('a mailbox that refuses the app token stores nothing and says why (the Exchange permission, not re-authorization)', async () => {
    const world = createWorld();
    const { accountId } = await appOnlyAccount(world, {
      clientSecret: 's',
      appTokenScope: 'https://ps.outlook.com/.default',
    });
    world.oauth.onClientCredentials = async (_grant, n) => appToken(world, n);
    const error = await world.services.accounts.connect(accountId, 'admin-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_APP_MAILBOX_ACCESS_DENIED' });
    expect((error as PluginError).info.fix).toContain('Add-MailboxPermission');
    expect(world.oauth.clientCredentialsCalls).toEqual([{ scope: 'https://ps.outlook.com/.default' }]);
    expect(await world.tokens.find(accountId)).toBeNull();
    expect(world.events.types(accountId)).toContain('auth_failed');
  });

  it('a new app token before expiry: one request for many concurrent callers, no refresh token involved', async () => {
    const world = createWorld();
    const { accountId } = await appOnlyAccount(world, { clientSecret: 's' });
    world.oauth.onClientCredentials = async (_grant, n) => appToken(world, n);
    world.mailboxAccess.add('support@contoso.com|app-1');
    await world.services.accounts.connect(accountId, 'admin-1');
    world.clock.advance(HOUR - 60_000);
    const grants = await Promise.all(
      Array.from({ length: 10 }, () => world.services.tokenService.getAccessToken(accountId)),
    );
    expect(new Set(grants.map((g) => g.accessToken))).toEqual(new Set(['app-2']));
    expect(world.oauth.clientCredentialsCalls).toHaveLength(2);
    expect(world.oauth.refreshCalls).toHaveLength(0);
    expect((await world.tokens.find(accountId))?.version).toBe(2);
    // Nothing for the keep-alive to keep: app tokens have no refresh token.
    world.clock.advance(30 * 86_400_000);
    expect((await world.services.keepAlive.run()).refreshed).toEqual([]);
  });

  it('a certificate app sends a fresh client assertion (aud the token endpoint) and no secret on every request', async () => {
    const world = createWorld();
    const { accountId } = await appOnlyAccount(world, {
      clientCertificate: certificate.certificatePem,
      clientKey: certificate.privateKeyPem,
    });
    world.oauth.onClientCredentials = async (_grant, n) => appToken(world, n);
    world.mailboxAccess.add('support@contoso.com|app-1');
    await world.services.accounts.connect(accountId, 'admin-1');
    world.clock.advance(HOUR);
    await world.services.tokenService.getAccessToken(accountId);
    const [first, second] = world.oauth.configs;
    for (const config of [first!, second!]) {
      expect(config).toMatchObject({ clientAuthMethod: 'private_key_jwt', clientSecret: '' });
      expect(decodeJwt(config.clientAssertion!)).toMatchObject({
        aud: 'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token',
        iss: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        sub: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
      });
    }
    expect(decodeJwt(first!.clientAssertion!).jti).not.toBe(decodeJwt(second!.clientAssertion!).jti);
  });

  it('a refused assertion is the certificate (one incident for the app); past its notAfter, it has expired', async () => {
    const world = createWorld();
    const { appId, accountId } = await appOnlyAccount(world, {
      clientCertificate: certificate.certificatePem,
      clientKey: certificate.privateKeyPem,
    });
    const sibling = await world.services.accounts.create(
      { appId, mailbox: 'sales@contoso.com', authMode: 'app_only' },
      'admin-1',
    );
    await world.tokens.replace(accountId, {
      accessToken: 'old',
      accessTokenExpiresAt: world.clock.now() - 1,
      refreshToken: null,
      scope: null,
      at: world.clock.now(),
    });
    world.oauth.onClientCredentials = async () => {
      throw new PluginError('ERR_CLIENT_INVALID', 'The token endpoint answered HTTP 401.', {
        providerError: 'invalid_client',
        providerCodes: ['700027'],
      });
    };
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_CLIENT_ASSERTION_REFUSED',
    });
    // One incident for the app; a mailbox of it that was never connected has no grant to fail and stays as it was.
    expect((await world.apps.find(appId))?.incident?.code).toBe('ERR_CLIENT_ASSERTION_REFUSED');
    expect((await world.accounts.find(sibling.id))?.status).toBe('not_connected');
    world.clock.advance((await world.apps.find(appId))!.certificateExpiresAt! - world.clock.now() + 1);
    await expect(world.services.tokenService.getAccessToken(accountId)).rejects.toMatchObject({
      code: 'ERR_CLIENT_CERTIFICATE_EXPIRED',
    });
  });
});

describe('service-account accounts', () => {
  async function serviceAccount(world: World) {
    const app = await world.services.apps.create(
      { name: 'Workspace', provider: 'google', serviceAccountKey },
      'admin-1',
    );
    const account = await world.services.accounts.create(
      { appId: app.id, mailbox: 'support@example.com', authMode: 'service_account' },
      'admin-1',
    );
    return { appId: app.id, accountId: account.id };
  }

  it("connect: the JWT bearer grant at the key file's token_uri acting for the mailbox, proven by a login", async () => {
    const world = createWorld();
    const { accountId } = await serviceAccount(world);
    world.oauth.onJwtBearer = async (_grant, n) => appToken(world, n);
    world.mailboxAccess.add('support@example.com|app-1');
    await world.services.accounts.connect(accountId, 'admin-1');
    const [call] = world.oauth.jwtBearerCalls;
    expect(call?.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(decodeJwt(call!.assertion)).toMatchObject({
      iss: 'mail@p.iam.gserviceaccount.com',
      sub: 'support@example.com',
      scope: 'https://mail.google.com/',
      aud: 'https://oauth2.googleapis.com/token',
    });
    expect(await world.accounts.find(accountId)).toMatchObject({
      status: 'connected',
      statusDetail:
        'Connected to mailbox support@example.com with service account mail@p.iam.gserviceaccount.com acting for it.',
    });
  });

  it("Google's unauthorized_client is the missing domain-wide delegation (every account of the app); an unknown user is this mailbox", async () => {
    const world = createWorld();
    const { accountId } = await serviceAccount(world);
    world.oauth.onJwtBearer = async () => {
      throw new PluginError('ERR_PROVIDER_CONFIG', 'The token endpoint answered HTTP 400.', {
        providerError: 'unauthorized_client',
        providerDescription:
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      });
    };
    const denied = await world.services.accounts.connect(accountId, 'admin-1').catch((e: unknown) => e);
    expect(denied).toMatchObject({
      code: 'ERR_DELEGATION_DENIED',
      message: expect.stringContaining(
        '(client id 1234567890) may not act for users with the scope https://mail.google.com/',
      ),
    });
    expect((denied as PluginError).info.fix).toContain('Domain Wide Delegation');
    world.oauth.onJwtBearer = async () => {
      throw new PluginError('ERR_GRANT_INVALID', 'The token endpoint answered HTTP 400.', {
        providerError: 'invalid_grant',
        providerDescription: 'Invalid email or User ID',
      });
    };
    await expect(world.services.accounts.connect(accountId, 'admin-1')).rejects.toMatchObject({
      code: 'ERR_APP_MAILBOX_ACCESS_DENIED',
    });
  });
});
