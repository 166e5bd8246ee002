// The local OAuth server's app and device grants, proven against the server and Dovecot directly (no plugin code):
// client credentials with Entra's `.default` scope and a per-app mailbox list, private_key_jwt client
// authentication, the device authorization grant (approved, denied, expired, slow_down), and Google's JWT bearer
// grant for service accounts with domain-wide delegation.
import * as crypto from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { SignJWT } from 'jose';
import { httpRequest } from '../env/http-request';
import {
  completeDeviceAuthorization,
  createClientCertificate,
  privateKeyJwtMetadata,
  startDovecot,
  startOAuthServer,
  tempDir,
  type ClientCertificate,
  type DovecotHandle,
  type OAuthServerHandle,
  type TestServiceAccount,
} from '../helpers/test-env';

jest.setTimeout(90_000);

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const APP_SCOPE = 'https://outlook.office365.com/.default';

type Answer = Record<string, unknown> & { access_token?: string; error?: string; error_codes?: number[] };

async function post(url: string, form: Record<string, string>, ca: string): Promise<{ status: number; body: Answer }> {
  const body = new URLSearchParams(form).toString();
  const res = await httpRequest(url, {
    method: 'POST',
    ca,
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
  });
  return { status: res.status, body: JSON.parse(res.body.toString('utf8')) as Answer };
}

async function imapLogin(dovecot: DovecotHandle, user: string, accessToken: string): Promise<boolean> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.ports.imaps,
    secure: true,
    tls: { ca: dovecot.caCertPem },
    auth: { user, accessToken },
    logger: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    client.close();
    return false;
  }
}

function clientAssertion(
  certificate: ClientCertificate,
  claims: { clientId: string; audience: string; expiresIn?: number; alg?: 'RS256' | 'PS256' },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: claims.alg ?? 'PS256', typ: 'JWT' })
    .setIssuer(claims.clientId)
    .setSubject(claims.clientId)
    .setAudience(claims.audience)
    .setNotBefore(now - 5)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (claims.expiresIn ?? 600))
    .sign(crypto.createPrivateKey(certificate.privateKeyPem));
}

function serviceAccountAssertion(
  account: TestServiceAccount,
  claims: { sub: string; scope: string; aud?: string; lifetime?: number; key?: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: claims.scope })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: account.keyId })
    .setIssuer(account.keyFile.client_email)
    .setSubject(claims.sub)
    .setAudience(claims.aud ?? account.keyFile.token_uri)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.lifetime ?? 3600))
    .sign(crypto.createPrivateKey(claims.key ?? account.keyFile.private_key));
}

describe('Microsoft-like: client credentials, certificate credentials, device flow', () => {
  let dir: string;
  let server: OAuthServerHandle;
  let dovecot: DovecotHandle;
  let certificate: ClientCertificate;
  let otherKey: ClientCertificate;

  beforeAll(async () => {
    dir = tempDir('o2m-test-env-grants');
    certificate = createClientCertificate(`${dir}/certs`, { name: 'app' });
    otherKey = createClientCertificate(`${dir}/certs`, { name: 'other' });
    server = await startOAuthServer({
      profile: 'microsoft',
      dir,
      clients: [{ appMailboxes: ['shared@example.test'] }, { metadata: privateKeyJwtMetadata(certificate) }],
      deviceFlow: { intervalSeconds: 1 },
    });
    dovecot = await startDovecot({ dir, oauth: server });
  });

  afterAll(async () => {
    await Promise.all([dovecot?.stop(), server?.stop()]);
  });

  it('client credentials at the tenant token endpoint with the .default scope: an app token that opens exactly the mailboxes the app may open', async () => {
    const { clientId, clientSecret } = server.client;
    const answer = await post(
      server.endpoints.token,
      { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: APP_SCOPE },
      server.caCertPem,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: APP_SCOPE });
    expect(answer.body.refresh_token).toBeUndefined();
    const token = answer.body.access_token ?? '';
    expect(await imapLogin(dovecot, 'shared@example.test', token)).toBe(true);
    expect(await imapLogin(dovecot, 'alice@example.test', token)).toBe(false);

    // The per-app setting changes what the next app token opens.
    await server.setAppMailboxes(['alice@example.test']);
    const next = await post(
      server.endpoints.token,
      { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: APP_SCOPE },
      server.caCertPem,
    );
    expect(await imapLogin(dovecot, 'alice@example.test', next.body.access_token ?? '')).toBe(true);
    expect(await imapLogin(dovecot, 'shared@example.test', next.body.access_token ?? '')).toBe(false);
    await server.setAppMailboxes(['shared@example.test']);

    const delegatedScope = await post(
      server.endpoints.token,
      { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'mail' },
      server.caCertPem,
    );
    expect(delegatedScope.status).toBe(400);
    expect(delegatedScope.body).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    expect((await server.stats()).clientCredentialsRequests).toBeGreaterThanOrEqual(3);
  });

  it('private_key_jwt: an assertion signed by the registered certificate is accepted (PS256 and RS256); a wrong key, a wrong aud, an expired assertion and a secret beside it are refused', async () => {
    const clientId = server.clients[1]!.clientId;
    const audience = server.endpoints.token;
    const request = async (assertion: string, extra: Record<string, string> = {}) =>
      post(
        audience,
        {
          grant_type: 'client_credentials',
          scope: APP_SCOPE,
          client_id: clientId,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: assertion,
          ...extra,
        },
        server.caCertPem,
      );
    for (const alg of ['PS256', 'RS256'] as const) {
      const accepted = await request(await clientAssertion(certificate, { clientId, audience, alg }));
      expect(accepted.status).toBe(200);
      expect(accepted.body.access_token).toEqual(expect.any(String));
    }
    const wrongKey = await request(await clientAssertion(otherKey, { clientId, audience }));
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
    const wrongAudience = await request(
      await clientAssertion(certificate, { clientId, audience: 'https://login.example.com/token' }),
    );
    expect(wrongAudience.body).toMatchObject({ error: 'invalid_client', error_codes: [700027] });
    const expired = await request(await clientAssertion(certificate, { clientId, audience, expiresIn: -60 }));
    expect(expired.body).toMatchObject({ error: 'invalid_client', error_codes: [700024] });
    const withSecret = await request(await clientAssertion(certificate, { clientId, audience }), {
      client_secret: '',
    });
    expect(withSecret.status).toBe(400);
    expect(withSecret.body).toMatchObject({ error: 'invalid_request' });
  });

  async function startDevice(scope = 'openid email profile offline_access mail'): Promise<Answer> {
    const { clientId, clientSecret } = server.client;
    const answer = await post(
      server.endpoints.deviceAuthorization,
      { client_id: clientId, client_secret: clientSecret, scope },
      server.caCertPem,
    );
    expect(answer.status).toBe(200);
    return answer.body;
  }

  function pollDevice(deviceCode: string): Promise<{ status: number; body: Answer }> {
    const { clientId, clientSecret } = server.client;
    return post(
      server.endpoints.token,
      { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId, client_secret: clientSecret },
      server.caCertPem,
    );
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('device flow approved: Entra-shaped answer (verification_uri, interval, message), pending until the user signs in elsewhere, then tokens that open the mailbox', async () => {
    const device = await startDevice();
    expect(device).toMatchObject({
      device_code: expect.any(String),
      user_code: expect.any(String),
      verification_uri: server.endpoints.deviceVerification,
      interval: 1,
      expires_in: expect.any(Number),
      message: expect.stringContaining(String(device.user_code)),
    });
    expect(device.verification_uri_complete).toBeUndefined();
    const pending = await pollDevice(String(device.device_code));
    expect(pending.body).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });

    await completeDeviceAuthorization(String(device.verification_uri), String(device.user_code), {
      login: 'alice@example.test',
      password: 'alice-password',
      caCertPem: server.caCertPem,
    });
    await sleep(1100);
    const done = await pollDevice(String(device.device_code));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ refresh_token: expect.any(String), id_token: expect.any(String) });
    expect(await imapLogin(dovecot, 'alice@example.test', done.body.access_token ?? '')).toBe(true);
  });

  it('device flow denied (authorization_declined), expired (expired_token), and slow_down when polled too fast, the interval growing by 5 s', async () => {
    const denied = await startDevice();
    await completeDeviceAuthorization(String(denied.verification_uri), String(denied.user_code), {
      login: 'alice@example.test',
      password: 'alice-password',
      caCertPem: server.caCertPem,
      deny: true,
    });
    expect((await pollDevice(String(denied.device_code))).body).toMatchObject({ error: 'authorization_declined' });

    await server.setDeviceFlow({ ttlSeconds: 1 });
    const expiring = await startDevice();
    await server.setDeviceFlow({ ttlSeconds: 600 });
    await sleep(1500);
    expect((await pollDevice(String(expiring.device_code))).body).toMatchObject({
      error: 'expired_token',
      error_codes: [70019],
    });

    await server.resetStats();
    const fast = await startDevice();
    expect((await pollDevice(String(fast.device_code))).body.error).toBe('authorization_pending');
    expect((await pollDevice(String(fast.device_code))).body.error).toBe('slow_down');
    await server.setDeviceFlow({ slowDown: 1 });
    await sleep(1100);
    expect((await pollDevice(String(fast.device_code))).body.error).toBe('slow_down');
    const polls = await server.devicePolls();
    expect(polls.map((p) => [p.answer, p.intervalSeconds])).toEqual([
      ['forwarded', 1],
      ['slow_down', 1],
      ['slow_down', 6],
    ]);
  });
});

describe('Google-like: JWT bearer grant for a service account with domain-wide delegation', () => {
  let dir: string;
  let server: OAuthServerHandle;
  let dovecot: DovecotHandle;
  let account: TestServiceAccount;
  let limited: TestServiceAccount;

  beforeAll(async () => {
    dir = tempDir('o2m-test-env-jwt-bearer');
    server = await startOAuthServer({
      profile: 'google',
      dir,
      serviceAccounts: [{}, { mailboxes: ['alice@example.test'], scopes: ['https://mail.google.com/'] }],
    });
    [account, limited] = server.serviceAccounts as [TestServiceAccount, TestServiceAccount];
    dovecot = await startDovecot({ dir, oauth: server });
  });

  afterAll(async () => {
    await Promise.all([dovecot?.stop(), server?.stop()]);
  });

  const grant = (assertion: string) =>
    post(server.endpoints.token, { grant_type: JWT_BEARER, assertion }, server.caCertPem);

  it("verifies the assertion against the key file's key and issues a mail token for the delegated subject, without a refresh token", async () => {
    expect(account.keyFile).toMatchObject({
      type: 'service_account',
      client_email: account.email,
      private_key_id: account.keyId,
      token_uri: server.endpoints.token,
    });
    const answer = await grant(
      await serviceAccountAssertion(account, { sub: 'bob@example.test', scope: 'https://mail.google.com/' }),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(answer.body.refresh_token).toBeUndefined();
    const token = answer.body.access_token ?? '';
    expect(await imapLogin(dovecot, 'bob@example.test', token)).toBe(true);
    expect(await imapLogin(dovecot, 'alice@example.test', token)).toBe(false);
    expect((await server.stats()).jwtBearerRequests).toBeGreaterThanOrEqual(1);
  });

  it("refuses another key, another audience, a lifetime over an hour, an undelegated scope and an unknown user in Google's words", async () => {
    const scope = 'https://mail.google.com/';
    const cases: Array<[Promise<string>, string, RegExp]> = [
      [
        serviceAccountAssertion(account, { sub: 'bob@example.test', scope, key: limited.privateKeyPem }),
        'invalid_grant',
        /Invalid JWT Signature/,
      ],
      [
        serviceAccountAssertion(account, {
          sub: 'bob@example.test',
          scope,
          aud: 'https://oauth2.googleapis.com/token',
        }),
        'invalid_grant',
        /audience/,
      ],
      [
        serviceAccountAssertion(account, { sub: 'bob@example.test', scope, lifetime: 7200 }),
        'invalid_grant',
        /short-lived token \(60 minutes\)/,
      ],
      [
        serviceAccountAssertion(account, { sub: 'bob@example.test', scope: 'https://www.googleapis.com/auth/drive' }),
        'unauthorized_client',
        /not authorized for any of the scopes requested/,
      ],
      [serviceAccountAssertion(account, { sub: 'nobody@example.test', scope }), 'invalid_grant', /Invalid email/],
    ];
    for (const [assertion, error, description] of cases) {
      const answer = await grant(await assertion);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe(error);
      expect(String(answer.body.error_description)).toMatch(description);
    }
  });

  it("a delegation that reaches only some mailboxes: the token for another user's mailbox opens nothing", async () => {
    const scope = 'https://mail.google.com/';
    const alice = await grant(await serviceAccountAssertion(limited, { sub: 'alice@example.test', scope }));
    expect(await imapLogin(dovecot, 'alice@example.test', alice.body.access_token ?? '')).toBe(true);
    const bob = await grant(await serviceAccountAssertion(limited, { sub: 'bob@example.test', scope }));
    expect(bob.status).toBe(200);
    expect(await imapLogin(dovecot, 'bob@example.test', bob.body.access_token ?? '')).toBe(false);
  });
});
