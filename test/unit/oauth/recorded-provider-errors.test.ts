/**
 * Recorded Microsoft and Google token-endpoint answers (fixtures/providers), served by a real local HTTP server
 * and read through the simple-oauth2 adapter, then classified by the provider behaviour: code, account status
 * and message. Also the adapter's handling of success payloads and of answers no local OAuth server produces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SimpleOAuth2Client } from '../../../adapters/simple-oauth2/simple-oauth2-client';
import { ERROR_CODES, isPluginError, type PluginError } from '../../../plugin/errors';
import { providerFor } from '../../../plugin/oauth/providers';
import type { OAuthClientConfig } from '../../../plugin/ports/oauth-client';
import type { ProviderKind } from '../../../plugin/ports/app-repository';

interface RecordedAnswer {
  readonly provider: ProviderKind;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  readonly bodyText?: string;
}

const FIXTURES = join(__dirname, '../../../fixtures/providers');
const load = (name: string): RecordedAnswer => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as RecordedAnswer;

let server: Server;
let origin: string;
let answer: RecordedAnswer | ((request: IncomingMessage, body: string) => RecordedAnswer | null) = load(
  'microsoft-token-response.json',
);
const requests: Array<{ url: string; body: string; authorization?: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({ url: request.url ?? '', body, authorization: request.headers.authorization });
      const current = typeof answer === 'function' ? answer(request, body) : answer;
      if (!current) return; // never answer: the client must time out
      response.writeHead(current.status, current.headers);
      response.end(current.bodyText ?? (current.body === undefined ? '' : JSON.stringify(current.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const SECRET = 'client-secret-VALUE-9f8e7d';
const REFRESH = 'refresh-token-VALUE-1a2b3c';

function config(): OAuthClientConfig {
  return {
    endpoints: {
      authorizeUrl: `${origin}/tenant/oauth2/v2.0/authorize`,
      tokenUrl: `${origin}/tenant/oauth2/v2.0/token`,
      revocationUrl: `${origin}/revoke`,
      userinfoUrl: null,
      jwksUri: null,
      issuer: null,
    },
    clientId: 'client-id-1',
    clientSecret: SECRET,
    clientAuthMethod: 'client_secret_post',
  };
}

const client = new SimpleOAuth2Client({ timeoutMs: 1_000, clock: { now: () => 1_000_000 } });

async function refreshError(): Promise<PluginError> {
  const thrown = await client.refresh(config(), { refreshToken: REFRESH }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!isPluginError(thrown)) throw new Error(`expected a PluginError, got ${String(thrown)}`);
  // Secret-free: neither the client secret nor the refresh token appears anywhere in the error.
  expect(
    JSON.stringify({
      message: thrown.message,
      details: thrown.details,
      cause: String((thrown as { cause?: unknown }).cause),
    }),
  ).not.toMatch(new RegExp(`${SECRET}|${REFRESH}`));
  return thrown;
}

describe('recorded provider errors, classified', () => {
  const table: Array<[string, string, string, string]> = [
    ['microsoft-aadsts70008-expired-grant.json', 'ERR_GRANT_INVALID', 'needs_reauth', 'AADSTS70008'],
    ['microsoft-aadsts700082-inactive-refresh-token.json', 'ERR_GRANT_INVALID', 'needs_reauth', 'AADSTS700082'],
    ['microsoft-aadsts50173-fresh-token-needed.json', 'ERR_GRANT_INVALID', 'needs_reauth', 'AADSTS50173'],
    ['microsoft-aadsts65001-consent-required.json', 'ERR_CONSENT_REQUIRED', 'needs_reauth', 'AADSTS65001'],
    ['microsoft-aadsts50076-mfa-required.json', 'ERR_INTERACTION_REQUIRED', 'needs_reauth', 'AADSTS50076'],
    ['microsoft-aadsts7000215-invalid-client-secret.json', 'ERR_CLIENT_INVALID', 'app_error', 'AADSTS7000215'],
    ['microsoft-aadsts7000222-client-secret-expired.json', 'ERR_CLIENT_SECRET_EXPIRED', 'app_error', 'AADSTS7000222'],
    ['microsoft-aadsts700016-application-not-found.json', 'ERR_PROVIDER_CONFIG', 'app_error', 'AADSTS700016'],
    ['microsoft-aadsts90002-tenant-not-found.json', 'ERR_PROVIDER_CONFIG', 'app_error', 'AADSTS90002'],
    ['microsoft-aadsts70011-invalid-scope.json', 'ERR_PROVIDER_CONFIG', 'app_error', 'AADSTS70011'],
    ['microsoft-temporarily-unavailable.json', 'ERR_PROVIDER_UNAVAILABLE', 'retrying', 'temporarily_unavailable'],
    [
      'google-invalid-grant-expired-or-revoked.json',
      'ERR_GRANT_INVALID',
      'needs_reauth',
      'Token has been expired or revoked.',
    ],
    ['google-invalid-grant-bad-request.json', 'ERR_GRANT_INVALID', 'needs_reauth', 'Bad Request'],
    ['google-unauthorized-client.json', 'ERR_PROVIDER_CONFIG', 'app_error', 'unauthorized_client'],
    ['google-admin-policy-enforced.json', 'ERR_CONSENT_REQUIRED', 'needs_reauth', 'admin_policy_enforced'],
    ['google-503-html.json', 'ERR_PROVIDER_UNAVAILABLE', 'retrying', 'HTTP 503'],
  ];

  it('covers every recorded error fixture', () => {
    const errorFixtures = readdirSync(FIXTURES).filter((name) => !/token-response|refresh-response/.test(name));
    expect(table.map(([name]) => name).sort()).toEqual(errorFixtures.sort());
  });

  it.each(table)('%s -> %s (%s)', async (fixture, code, status, words) => {
    answer = load(fixture);
    const recorded = answer;
    const classified = providerFor(recorded.provider).classify(await refreshError());
    expect(classified.code).toBe(code);
    expect(ERROR_CODES[classified.code].status).toBe(status);
    expect(classified.message).toContain(words);
    expect(classified.details.httpStatus).toBe(recorded.status);
    // Trace and correlation ids stay out of the admin's message.
    expect(classified.message).not.toContain('Trace ID');
  });
});

describe('the simple-oauth2 adapter', () => {
  it('sends the refresh grant with the credentials in the body and the given scope', async () => {
    answer = load('microsoft-token-response.json');
    requests.length = 0;
    const tokens = await client.refresh(config(), {
      refreshToken: REFRESH,
      scope: 'openid https://outlook.office.com/IMAP.AccessAsUser.All',
    });
    const form = new URLSearchParams(requests[0]!.body);
    expect(requests[0]!.url).toBe('/tenant/oauth2/v2.0/token');
    expect(Object.fromEntries(form)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: REFRESH,
      client_id: 'client-id-1',
      client_secret: SECRET,
      scope: 'openid https://outlook.office.com/IMAP.AccessAsUser.All',
    });
    expect(tokens).toMatchObject({
      accessToken: 'EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA-placeholder',
      refreshToken: 'M.C512_BAY.0.U.-placeholder-rotated-refresh-token',
      expiresAt: 1_000_000 + 3_599_000,
      tokenType: 'Bearer',
    });
  });

  it('client_secret_basic puts the credentials in the Authorization header only', async () => {
    answer = load('microsoft-token-response.json');
    requests.length = 0;
    await client.refresh({ ...config(), clientAuthMethod: 'client_secret_basic' }, { refreshToken: REFRESH });
    expect(requests[0]!.authorization).toBe(`Basic ${Buffer.from(`client-id-1:${SECRET}`).toString('base64')}`);
    expect(requests[0]!.body).not.toContain(SECRET);
  });

  it('a refresh answer without refresh_token (Google) yields refreshToken null, not undefined lost in a copy', async () => {
    answer = load('google-refresh-response.json');
    const tokens = await client.refresh(config(), { refreshToken: REFRESH });
    expect(tokens.refreshToken).toBeNull();
    expect(tokens.accessToken).toBe('ya29.a0AfB_placeholder-access-token');
  });

  const ok = (
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ): RecordedAnswer => ({ provider: 'generic', status: 200, headers, body });

  it('expires_in "3599" is accepted by coercion', async () => {
    answer = ok({ access_token: 'a', token_type: 'Bearer', expires_in: '3599' });
    expect((await client.refresh(config(), { refreshToken: REFRESH })).expiresAt).toBe(1_000_000 + 3_599_000);
  });

  it.each([
    ['expires_in "abc"', ok({ access_token: 'a', token_type: 'Bearer', expires_in: 'abc' }), 'expires_in'],
    ['no access_token', ok({ token_type: 'Bearer', expires_in: 3600 }), 'access_token is missing'],
    ['an empty body', ok(undefined), 'empty'],
    [
      'an HTML page with 200',
      {
        provider: 'generic',
        status: 200,
        headers: { 'content-type': 'text/html' },
        bodyText: '<html><body>Sign in</body></html>',
      } as RecordedAnswer,
      'not JSON',
    ],
    ['a JSON string', ok('hello'), 'empty or unreadable'],
    ['token_type mac', ok({ access_token: 'a', token_type: 'mac', expires_in: 3600 }), 'token_type'],
  ])('%s -> ERR_TOKEN_RESPONSE_INVALID', async (_name, recorded, words) => {
    answer = recorded;
    const error = await refreshError();
    expect(error.code).toBe('ERR_TOKEN_RESPONSE_INVALID');
    expect(error.message).toContain(words);
  });

  it('no answer within the timeout -> ERR_PROVIDER_UNAVAILABLE (simple-oauth2 has no timeout of its own)', async () => {
    answer = () => null;
    const error = await refreshError();
    expect(error).toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE', details: { timeout: true } });
  });

  it('a server that is not listening -> ERR_PROVIDER_UNAVAILABLE naming the socket error', async () => {
    const closed = { ...config(), endpoints: { ...config().endpoints, tokenUrl: 'http://127.0.0.1:1/token' } };
    const error = await client.refresh(closed, { refreshToken: REFRESH }).catch((e: PluginError) => e);
    expect(error).toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE', details: { networkError: 'ECONNREFUSED' } });
  });

  it('revocation: 200 with an empty non-JSON body counts as done; a 503 is ERR_REVOCATION_FAILED', async () => {
    answer = { provider: 'google', status: 200, headers: {}, bodyText: '' };
    requests.length = 0;
    await client.revoke(config(), { token: REFRESH, tokenTypeHint: 'refresh_token' });
    expect(requests[0]!.url).toBe('/revoke');
    expect(Object.fromEntries(new URLSearchParams(requests[0]!.body))).toMatchObject({
      token: REFRESH,
      token_type_hint: 'refresh_token',
    });
    answer = load('google-503-html.json');
    await expect(client.revoke(config(), { token: REFRESH, tokenTypeHint: 'refresh_token' })).rejects.toMatchObject({
      code: 'ERR_REVOCATION_FAILED',
    });
  });

  it('the authorization URL carries PKCE and provider parameters verbatim', () => {
    const url = new URL(
      client.authorizationUrl(config(), {
        redirect_uri: 'https://h.example/cb',
        scope: 'openid mail',
        state: 's',
        code_challenge: 'c',
        code_challenge_method: 'S256',
        access_type: 'offline',
      }),
    );
    expect(url.pathname).toBe('/tenant/oauth2/v2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-id-1',
      redirect_uri: 'https://h.example/cb',
      scope: 'openid mail',
      state: 's',
      code_challenge: 'c',
      code_challenge_method: 'S256',
      access_type: 'offline',
    });
    expect(url.toString()).not.toContain(SECRET);
  });

  it('discovery reads the endpoints and refuses a document naming another issuer', async () => {
    answer = (request) => ({
      provider: 'generic',
      status: request.url === '/issuer/.well-known/openid-configuration' ? 200 : 404,
      headers: { 'content-type': 'application/json' },
      body: {
        issuer: `${origin}/issuer`,
        authorization_endpoint: `${origin}/a`,
        token_endpoint: `${origin}/t`,
        jwks_uri: `${origin}/k`,
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      },
    });
    await expect(client.discover(`${origin}/issuer`)).resolves.toMatchObject({
      tokenEndpoint: `${origin}/t`,
      revocationEndpoint: null,
      tokenEndpointAuthMethods: ['client_secret_basic'],
    });
    await expect(client.discover(`${origin}/other`)).rejects.toMatchObject({ code: 'ERR_PROVIDER_CONFIG' });
    answer = () => ({
      provider: 'generic',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { issuer: 'https://evil.example', authorization_endpoint: `${origin}/a`, token_endpoint: `${origin}/t` },
    });
    await expect(client.discover(`${origin}/issuer`)).rejects.toMatchObject({ code: 'ERR_PROVIDER_CONFIG' });
  });
});
