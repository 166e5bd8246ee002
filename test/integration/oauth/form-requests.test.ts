/**
 * What the OAuth client adapter puts on the wire for the requests simple-oauth2 cannot make right
 * (docs/providers.md#simple-oauth2-traps: it always adds a client secret, an empty one when there is none): a
 * recording HTTP server on the loopback sees that every request authenticated by a client assertion carries the
 * assertion and no secret (not in the body, not in a Basic header), the JWT bearer grant carries no client
 * authentication at all, and client-credentials / device requests with a secret carry it as the app says.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimpleOAuth2Client } from '../../../adapters/simple-oauth2/simple-oauth2-client';
import type { ClientAuthMethod, OAuthClientConfig } from '../../../plugin/ports/oauth-client';

interface Seen {
  path: string;
  authorization: string | undefined;
  form: Record<string, string>;
}

let server: http.Server;
let origin: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      seen.push({
        path: url.pathname,
        authorization: req.headers.authorization,
        form: Object.fromEntries(new URLSearchParams(body)),
      });
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/revoke') return res.end('');
      if (url.pathname === '/device')
        return res.end(
          JSON.stringify({ device_code: 'dc', user_code: 'UC', verification_url: `${origin}/verify`, expires_in: 900 }),
        );
      res.end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

function config(method: ClientAuthMethod): OAuthClientConfig {
  return {
    endpoints: {
      authorizeUrl: `${origin}/authorize`,
      tokenUrl: `${origin}/token`,
      revocationUrl: `${origin}/revoke`,
      userinfoUrl: null,
      jwksUri: null,
      issuer: null,
      deviceAuthorizationUrl: `${origin}/device`,
    },
    clientId: 'client-1',
    clientSecret: method === 'private_key_jwt' ? '' : 'the-secret',
    clientAuthMethod: method,
    clientAssertion: method === 'private_key_jwt' ? 'header.claims.signature' : null,
  };
}

const client = new SimpleOAuth2Client({ timeoutMs: 5000 });

it('private_key_jwt: code exchange, refresh, client credentials, device start and poll, revocation carry the assertion and never a secret', async () => {
  const certificate = config('private_key_jwt');
  await client.exchangeCode(certificate, { code: 'c', redirectUri: 'https://h/cb', codeVerifier: 'v' });
  await client.refresh(certificate, { refreshToken: 'r', scope: 'mail' });
  await client.clientCredentials(certificate, { scope: 'https://outlook.office365.com/.default' });
  const device = await client.startDeviceAuthorization(certificate, { scope: 'openid mail' });
  expect(device).toMatchObject({ verificationUri: `${origin}/verify`, intervalSeconds: 5 });
  await client.pollDeviceAuthorization(certificate, { deviceCode: device.deviceCode });
  await client.revoke(certificate, { token: 'r', tokenTypeHint: 'refresh_token' });
  expect(seen.map((s) => [s.path, s.form.grant_type ?? null])).toEqual([
    ['/token', 'authorization_code'],
    ['/token', 'refresh_token'],
    ['/token', 'client_credentials'],
    ['/device', null],
    ['/token', 'urn:ietf:params:oauth:grant-type:device_code'],
    ['/revoke', null],
  ]);
  for (const request of seen) {
    expect(request.authorization).toBeUndefined();
    expect(request.form).not.toHaveProperty('client_secret');
    expect(request.form).toMatchObject({
      client_id: 'client-1',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'header.claims.signature',
    });
  }
});

it('the JWT bearer grant sends the assertion and nothing else; a secret goes where the app says (body or Basic)', async () => {
  await client.jwtBearer(`${origin}/token`, { assertion: 'sa.assertion.sig' });
  expect(seen[0]).toEqual({
    path: '/token',
    authorization: undefined,
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'sa.assertion.sig' },
  });
  await client.clientCredentials(config('client_secret_post'), { scope: null });
  expect(seen[1]).toMatchObject({
    authorization: undefined,
    form: { grant_type: 'client_credentials', client_id: 'client-1', client_secret: 'the-secret' },
  });
  expect(seen[1]!.form).not.toHaveProperty('scope');
  await client.startDeviceAuthorization(config('client_secret_basic'), { scope: 'mail' });
  expect(seen[2]).toMatchObject({ authorization: `Basic ${Buffer.from('client-1:the-secret').toString('base64')}` });
  expect(seen[2]!.form).not.toHaveProperty('client_secret');
});
