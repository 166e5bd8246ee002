import { PluginError } from '../../../plugin/errors';
import { CLIENT_SECRET_CREDENTIAL, type AppRegistration } from '../../../plugin/ports/app-repository';
import { providerFor } from '../../../plugin/oauth/providers';
import { EndpointResolver } from '../../../plugin/oauth/providers/endpoint-resolver';
import { isMicrosoftTenant } from '../../../plugin/oauth/providers/microsoft';
import { assertProviderUrl } from '../../../plugin/oauth/providers/url-policy';
import { ScriptedOAuthClient } from '../../helpers/fakes/scripted-oauth-client';
import { ManualClock } from '../../helpers/manual-clock';

function app(overrides: Partial<AppRegistration>): AppRegistration {
  return {
    id: '1',
    name: 'A',
    provider: 'microsoft',
    cloud: 'global',
    tenant: 'organizations',
    issuerUrl: null,
    authorizeUrl: null,
    tokenUrl: null,
    revocationUrl: null,
    userinfoUrl: null,
    clientId: 'c',
    scopes: null,
    secretExpiresAt: null,
    incident: null,
    ...CLIENT_SECRET_CREDENTIAL,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

describe('Microsoft', () => {
  it.each([
    [
      'global',
      'https://login.microsoftonline.com',
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'outlook.office365.com',
    ],
    [
      'usgov',
      'https://login.microsoftonline.us',
      'https://outlook.office365.us/IMAP.AccessAsUser.All',
      'outlook.office365.us',
    ],
    [
      'china',
      'https://login.partner.microsoftonline.cn',
      'https://partner.outlook.cn/IMAP.AccessAsUser.All',
      'partner.outlook.cn',
    ],
  ] as const)('cloud %s: login host, prefixed scope, mail host', (cloud, loginHost, imapScope, mailHost) => {
    const ms = providerFor('microsoft');
    const a = app({ cloud, tenant: 'contoso.onmicrosoft.com' });
    expect(ms.presetEndpoints(a)).toMatchObject({
      authorizeUrl: `${loginHost}/contoso.onmicrosoft.com/oauth2/v2.0/authorize`,
      tokenUrl: `${loginHost}/contoso.onmicrosoft.com/oauth2/v2.0/token`,
      revocationUrl: null,
      issuer: `${loginHost}/{tenantid}/v2.0`,
    });
    expect(ms.defaultScopes(a, ['imap'])).toEqual(['openid', 'profile', 'email', 'offline_access', imapScope]);
    expect(ms.defaultServer(a, 'imap')).toEqual({ host: mailHost, port: 993, tls: 'implicit' });
  });

  it('scopes per protocol carry the Outlook resource prefix', () => {
    expect(providerFor('microsoft').defaultScopes(app({}), ['imap', 'pop', 'smtp']).slice(4)).toEqual([
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/POP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
    ]);
  });

  it('a stored cloud this version does not know is a configuration error naming the field, not a TypeError', () => {
    const ms = providerFor('microsoft');
    const unknown = app({ cloud: 'mars' as AppRegistration['cloud'] });
    for (const use of [
      () => ms.defaultScopes(unknown, ['imap']),
      () => ms.presetEndpoints(unknown),
      () => ms.defaultServer(unknown, 'imap'),
    ]) {
      expect(use).toThrow(
        expect.objectContaining({ code: 'ERR_PROVIDER_CONFIG', details: expect.objectContaining({ field: 'cloud' }) }),
      );
    }
  });

  it('a GUID tenant has a fixed issuer', () => {
    const guid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(providerFor('microsoft').presetEndpoints(app({ tenant: guid }))?.issuer).toBe(
      `https://login.microsoftonline.com/${guid}/v2.0`,
    );
  });

  it.each([
    ['72f988bf-86f1-41af-91ab-2d7cd011db47', true],
    ['contoso.com', true],
    ['organizations', true],
    ['common', true],
    ['consumers', true],
    ['contoso', false],
    ['../common', false],
    ['', false],
  ])('tenant %j valid: %s', (tenant, valid) => {
    expect(isMicrosoftTenant(tenant)).toBe(valid);
  });

  it('a redirect error carries its AADSTS number only in the text: still classified', () => {
    const error = new PluginError('ERR_AUTHORIZATION_DENIED', 'x', {
      providerError: 'access_denied',
      providerDescription: 'AADSTS65004: User declined to consent to access the app.',
    });
    expect(providerFor('microsoft').classify(error).code).toBe('ERR_AUTHORIZATION_DENIED');
    const consent = new PluginError('ERR_AUTHORIZATION_DENIED', 'x', {
      providerError: 'invalid_request',
      providerDescription: 'AADSTS90094: The grant requires admin permission.',
    });
    expect(providerFor('microsoft').classify(consent).code).toBe('ERR_CONSENT_REQUIRED');
  });

  it('never re-labels a transport failure, even with an AADSTS number', () => {
    const error = new PluginError('ERR_PROVIDER_UNAVAILABLE', 'HTTP 503', {
      httpStatus: 503,
      providerError: 'invalid_grant',
      providerCodes: ['70008'],
    });
    expect(providerFor('microsoft').classify(error).code).toBe('ERR_PROVIDER_UNAVAILABLE');
  });
});

describe('Google and generic', () => {
  it('Google: fixed endpoints with RFC 7009 revocation, the one mail scope, offline + consent', () => {
    const google = providerFor('google');
    const a = app({ provider: 'google', cloud: null, tenant: null });
    expect(google.presetEndpoints(a)).toMatchObject({
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      issuer: 'https://accounts.google.com',
    });
    expect(google.defaultScopes(a, ['imap'])).toEqual(['https://mail.google.com/', 'openid', 'email']);
    expect(google.defaultServer(a, 'imap')).toEqual({ host: 'imap.gmail.com', port: 993, tls: 'implicit' });
  });

  it('generic: no preset, no default server', () => {
    const a = app({ provider: 'generic', cloud: null, tenant: null });
    expect(providerFor('generic').presetEndpoints(a)).toBeNull();
    expect(providerFor('generic').defaultServer(a, 'imap')).toBeNull();
  });
});

describe('EndpointResolver', () => {
  const discovered = {
    issuer: 'https://idp.example.test',
    authorizationEndpoint: 'https://idp.example.test/auth',
    tokenEndpoint: 'https://idp.example.test/token',
    revocationEndpoint: 'https://idp.example.test/revoke',
    userinfoEndpoint: null,
    jwksUri: 'https://idp.example.test/jwks',
    tokenEndpointAuthMethods: ['client_secret_basic'],
  };

  it('an issuer override on a Microsoft app replaces the preset by discovery (how tests imitate Microsoft locally), cached', async () => {
    const oauth = new ScriptedOAuthClient();
    oauth.discovery = discovered;
    const discover = jest.spyOn(oauth, 'discover');
    const resolver = new EndpointResolver({
      oauthClient: oauth,
      clock: new ManualClock(),
      allowInsecureLoopback: false,
    });
    const resolved = await resolver.resolve(app({ issuerUrl: 'https://idp.example.test' }));
    expect(resolved).toEqual({
      endpoints: {
        authorizeUrl: 'https://idp.example.test/auth',
        tokenUrl: 'https://idp.example.test/token',
        revocationUrl: 'https://idp.example.test/revoke',
        userinfoUrl: null,
        jwksUri: 'https://idp.example.test/jwks',
        issuer: 'https://idp.example.test',
        // Discovery replaces every preset: its document names no device endpoint here.
        deviceAuthorizationUrl: null,
      },
      clientAuthMethod: 'client_secret_basic',
      issParameterRequired: false,
    });
    await resolver.resolve(app({ issuerUrl: 'https://idp.example.test' }));
    expect(discover).toHaveBeenCalledTimes(1);
  });

  it('explicit endpoints win; a generic app without any is a configuration error', async () => {
    const resolver = new EndpointResolver({
      oauthClient: new ScriptedOAuthClient(),
      clock: new ManualClock(),
      allowInsecureLoopback: false,
    });
    const resolved = await resolver.resolve(
      app({ provider: 'generic', authorizeUrl: 'https://x.test/a', tokenUrl: 'https://x.test/t' }),
    );
    expect(resolved.endpoints).toMatchObject({
      authorizeUrl: 'https://x.test/a',
      tokenUrl: 'https://x.test/t',
      revocationUrl: null,
    });
    expect(resolved.clientAuthMethod).toBe('client_secret_post');
    await expect(resolver.resolve(app({ provider: 'generic' }))).rejects.toMatchObject({ code: 'ERR_PROVIDER_CONFIG' });
  });

  it('presets the device authorization endpoint (Microsoft per tenant, Google), an explicit one wins; a certificate app signs assertions', async () => {
    const resolver = new EndpointResolver({
      oauthClient: new ScriptedOAuthClient(),
      clock: new ManualClock(),
      allowInsecureLoopback: false,
    });
    expect((await resolver.resolve(app({ tenant: 'contoso.com' }))).endpoints.deviceAuthorizationUrl).toBe(
      'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode',
    );
    expect(
      (await resolver.resolve(app({ provider: 'google', cloud: null, tenant: null }))).endpoints.deviceAuthorizationUrl,
    ).toBe('https://oauth2.googleapis.com/device/code');
    const explicit = await resolver.resolve(
      app({ deviceAuthorizationUrl: 'https://login.example.com/device', credentialType: 'certificate' }),
    );
    expect(explicit.endpoints.deviceAuthorizationUrl).toBe('https://login.example.com/device');
    expect(explicit.clientAuthMethod).toBe('private_key_jwt');
  });

  it('a discovered http endpoint is refused unless loopback is allowed', async () => {
    const oauth = new ScriptedOAuthClient();
    oauth.discovery = {
      ...discovered,
      issuer: 'http://127.0.0.1:9/',
      tokenEndpoint: 'http://127.0.0.1:9/token',
      authorizationEndpoint: 'http://127.0.0.1:9/auth',
      revocationEndpoint: null,
      jwksUri: null,
    };
    const strict = new EndpointResolver({ oauthClient: oauth, clock: new ManualClock(), allowInsecureLoopback: false });
    await expect(strict.resolve(app({ issuerUrl: 'http://127.0.0.1:9/' }))).rejects.toMatchObject({
      code: 'ERR_PROVIDER_CONFIG',
    });
    const loose = new EndpointResolver({ oauthClient: oauth, clock: new ManualClock(), allowInsecureLoopback: true });
    await expect(loose.resolve(app({ issuerUrl: 'http://127.0.0.1:9/' }))).resolves.toMatchObject({
      endpoints: { tokenUrl: 'http://127.0.0.1:9/token' },
    });
  });
});

describe('URL policy', () => {
  it.each([
    ['https://login.example.com/x', false, true],
    ['http://login.example.com/x', true, false],
    ['http://127.0.0.1:8080/x', false, false],
    ['http://127.0.0.1:8080/x', true, true],
    ['http://localhost/x', true, true],
    ['https://user:pw@login.example.com/', false, false],
    ['not a url', true, false],
  ])('%s (allowInsecureLoopback %s) accepted: %s', (url, loopback, accepted) => {
    const run = () => assertProviderUrl(url, 'issuerUrl', loopback);
    if (accepted) expect(run).not.toThrow();
    else
      expect(run).toThrow(
        expect.objectContaining({ code: 'ERR_INPUT_INVALID', message: expect.stringContaining('issuerUrl') }),
      );
  });
});
