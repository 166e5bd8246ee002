// Proves the local test environment is real: oidc-provider over https with a test CA, the code +
// PKCE flow, refresh behaviour per profile, and a Dovecot that accepts exactly the right tokens.
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import * as net from 'node:net';
import { ImapFlow } from 'imapflow';
import {
  completeAuthorization,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../helpers/test-env';

const REDIRECT_URI = 'http://127.0.0.1:4999/plugins/oauth2-mail/callback';

interface HttpResult {
  status: number;
  contentType: string;
  text: string;
}

function httpsPost(
  url: string,
  form: Record<string, string>,
  ca: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number | string;
  scope?: string;
  error?: string;
  error_description?: string;
  error_codes?: number[];
}

/** A token-endpoint call authenticated with client_secret_basic or client_secret_post. */
async function tokenRequest(
  server: OAuthServerHandle,
  params: Record<string, string>,
  auth: 'basic' | 'post' = 'post',
): Promise<{ status: number; body: TokenResponse }> {
  const { clientId, clientSecret } = server.client;
  const res =
    auth === 'post'
      ? await httpsPost(
          server.endpoints.token,
          { ...params, client_id: clientId, client_secret: clientSecret },
          server.caCertPem,
        )
      : await httpsPost(server.endpoints.token, params, server.caCertPem, {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        });
  return { status: res.status, body: JSON.parse(res.text) as TokenResponse };
}

function authorizationUrl(
  server: OAuthServerHandle,
  extra: Record<string, string | undefined> = {},
): { url: string; verifier: string; state: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const url = new URL(server.endpoints.authorization);
  const params: Record<string, string | undefined> = {
    client_id: server.client.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: server.defaultScope,
    state,
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...server.authorizationParams,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return { url: url.href, verifier, state };
}

/** The whole browser + code exchange; returns the token response. */
async function signIn(
  server: OAuthServerHandle,
  login: string,
  extra: Record<string, string | undefined> = {},
): Promise<TokenResponse> {
  const { url, verifier, state } = authorizationUrl(server, extra);
  const final = new URL(
    await completeAuthorization(url, {
      login,
      password: server.user(login).password ?? '',
      caCertPem: server.caCertPem,
    }),
  );
  expect(`${final.origin}${final.pathname}`).toBe(REDIRECT_URI);
  expect(final.searchParams.get('state')).toBe(state);
  const code = final.searchParams.get('code');
  expect(code).toBeTruthy();
  const res = await tokenRequest(server, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  expect(res.status).toBe(200);
  expect(typeof res.body.access_token).toBe('string');
  return res.body;
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function imapLogin(
  dovecot: DovecotHandle,
  user: string,
  accessToken: string,
): Promise<{ ok: true } | { ok: false; error: { authenticationFailed?: boolean; serverResponseCode?: string } }> {
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
    return { ok: true };
  } catch (err) {
    client.close();
    return { ok: false, error: err as { authenticationFailed?: boolean; serverResponseCode?: string } };
  }
}

/** A line-based SASL XOAUTH2 exchange on a cleartext port (127.0.0.1 counts as secure for Dovecot). */
function rawXoauth2(
  port: number,
  protocol: 'imap' | 'pop3',
  user: string,
  accessToken: string,
): Promise<{ final: string; challenge: string | null }> {
  const payload = Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = '';
    let greeted = false;
    let challenge: string | null = null;
    socket.setTimeout(10000, () => socket.destroy(new Error('XOAUTH2 exchange timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (!greeted) {
          greeted = true;
          socket.write(protocol === 'imap' ? `a1 AUTHENTICATE XOAUTH2 ${payload}\r\n` : `AUTH XOAUTH2 ${payload}\r\n`);
        } else if (line.startsWith('+ ')) {
          challenge = Buffer.from(line.slice(2), 'base64').toString('utf8');
          socket.write('\r\n');
        } else if (protocol === 'imap' ? line.startsWith('a1 ') : /^[+-](OK|ERR)/.test(line)) {
          socket.end();
          resolve({ final: line, challenge });
        }
      }
    });
  });
}

describe('local test environment (oidc-provider + Dovecot)', () => {
  let dir: string;
  let microsoft: OAuthServerHandle;
  let google: OAuthServerHandle;
  let dovecot: DovecotHandle;

  beforeAll(async () => {
    dir = tempDir('o2m-test-env');
    [microsoft, google] = await Promise.all([
      startOAuthServer({ profile: 'microsoft', dir, redirectUris: [REDIRECT_URI, 'http://localhost:4999/other'] }),
      startOAuthServer({ profile: 'google', dir, redirectUris: [REDIRECT_URI] }),
    ]);
    dovecot = await startDovecot({ dir, oauth: microsoft });
  });

  afterAll(async () => {
    await Promise.all([dovecot?.stop(), microsoft?.stop(), google?.stop()]);
  });

  it('serves a Microsoft-like issuer with a tenant path over https with the test CA', async () => {
    expect(microsoft.issuer).toBe(`https://127.0.0.1:${microsoft.port}/${microsoft.tenant}/v2.0`);
    expect(google.issuer).toBe(`https://127.0.0.1:${google.port}`);
    // Without the CA the TLS handshake must fail: the certificate is really from the per-run CA.
    await expect(httpsPost(microsoft.endpoints.token, {}, '')).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it('completes the code + PKCE flow over HTTP and the token logs in to Dovecot (IMAP OAUTHBEARER, IMAP and POP3 XOAUTH2)', async () => {
    const tokens = await signIn(microsoft, 'alice@example.test');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope).toBe('mail');
    const idToken = decodeJwtPayload(tokens.id_token ?? '');
    expect(idToken).toMatchObject({
      email: 'alice@example.test',
      iss: microsoft.issuer,
      aud: microsoft.client.clientId,
    });

    expect(await imapLogin(dovecot, 'alice@example.test', tokens.access_token ?? '')).toEqual({ ok: true });
    const imap = await rawXoauth2(dovecot.ports.imap, 'imap', 'alice@example.test', tokens.access_token ?? '');
    expect(imap.final).toMatch(/^a1 OK/);
    const pop3 = await rawXoauth2(dovecot.ports.pop3, 'pop3', 'alice@example.test', tokens.access_token ?? '');
    expect(pop3.final).toMatch(/^\+OK/);
  });

  it('accepts client_secret_basic as well as client_secret_post and rejects a wrong secret with an AADSTS-shaped error', async () => {
    const { url, verifier } = authorizationUrl(microsoft);
    const final = new URL(
      await completeAuthorization(url, {
        login: 'bob@example.test',
        password: 'bob-password',
        caCertPem: microsoft.caCertPem,
      }),
    );
    const basic = await tokenRequest(
      microsoft,
      {
        grant_type: 'authorization_code',
        code: final.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      },
      'basic',
    );
    expect(basic.status).toBe(200);

    const wrong = await httpsPost(
      microsoft.endpoints.token,
      {
        grant_type: 'refresh_token',
        refresh_token: basic.body.refresh_token ?? '',
        client_id: microsoft.client.clientId,
        client_secret: 'not-the-secret',
      },
      microsoft.caCertPem,
    );
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });

  it('refuses a sign-in with a wrong password, and returns error=access_denied when the user cancels', async () => {
    const { url } = authorizationUrl(microsoft);
    await expect(
      completeAuthorization(url, { login: 'alice@example.test', password: 'wrong', caCertPem: microsoft.caCertPem }),
    ).rejects.toThrow(/rejected the sign-in/);
    const cancelled = new URL(
      await completeAuthorization(authorizationUrl(microsoft).url, {
        login: 'alice@example.test',
        password: 'alice-password',
        caCertPem: microsoft.caCertPem,
        deny: true,
      }),
    );
    expect(cancelled.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.searchParams.get('code')).toBeNull();
  });

  it("refuses a token presented for another user's mailbox", async () => {
    const tokens = await signIn(microsoft, 'alice@example.test');
    const result = await imapLogin(dovecot, 'bob@example.test', tokens.access_token ?? '');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.authenticationFailed).toBe(true);
      expect(result.error.serverResponseCode).toBe('AUTHENTICATIONFAILED');
    }
    const raw = await rawXoauth2(dovecot.ports.imap, 'imap', 'bob@example.test', tokens.access_token ?? '');
    expect(raw.final).toMatch(/^a1 NO \[AUTHENTICATIONFAILED\]/);
    expect(JSON.parse(raw.challenge ?? '{}')).toMatchObject({ status: '401' });
  });

  it('lets the hybrid user carol (login differs from mailbox) open her mailbox', async () => {
    const tokens = await signIn(microsoft, 'carol@corp.example.test');
    expect(decodeJwtPayload(tokens.id_token ?? '')).toMatchObject({
      preferred_username: 'carol@corp.example.test',
      email: 'carol@example.test',
    });
    expect(await imapLogin(dovecot, 'carol@example.test', tokens.access_token ?? '')).toEqual({ ok: true });
  });

  it('lets the delegate bob open the shared mailbox with his own token, and nobody else', async () => {
    const bob = await signIn(microsoft, 'bob@example.test');
    expect(await imapLogin(dovecot, 'shared@example.test', bob.access_token ?? '')).toEqual({ ok: true });
    const alice = await signIn(microsoft, 'alice@example.test');
    const refused = await rawXoauth2(dovecot.ports.imap, 'imap', 'shared@example.test', alice.access_token ?? '');
    expect(refused.final).toMatch(/^a1 NO \[AUTHENTICATIONFAILED\]/);
  });

  it('refuses a revoked token at the next login, and the refresh then fails with AADSTS50173', async () => {
    const tokens = await signIn(microsoft, 'bob@example.test');
    expect(await imapLogin(dovecot, 'bob@example.test', tokens.access_token ?? '')).toEqual({ ok: true });
    expect(await microsoft.revokeUser('bob@example.test')).toBeGreaterThanOrEqual(1);
    const after = await imapLogin(dovecot, 'bob@example.test', tokens.access_token ?? '');
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.error.serverResponseCode).toBe('AUTHENTICATIONFAILED');
    const refresh = await tokenRequest(microsoft, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
  });

  it('microsoft profile rotates the refresh token on every use and counts token requests', async () => {
    const tokens = await signIn(microsoft, 'alice@example.test');
    await microsoft.resetStats();
    const first = await tokenRequest(microsoft, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const second = await tokenRequest(
      microsoft,
      { grant_type: 'refresh_token', refresh_token: first.body.refresh_token ?? '' },
      'basic',
    );
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await imapLogin(dovecot, 'alice@example.test', second.body.access_token ?? '')).toEqual({ ok: true });
    expect(await microsoft.stats()).toMatchObject({ tokenRequests: 2, refreshRequests: 2, codeRequests: 0 });
  });

  it('google profile issues a refresh token only with access_type=offline and prompt=consent, and none on refresh', async () => {
    const online = await signIn(google, 'alice@example.test', { access_type: undefined, prompt: undefined });
    expect(online.refresh_token).toBeUndefined();
    const noConsent = await signIn(google, 'alice@example.test', { prompt: undefined });
    expect(noConsent.refresh_token).toBeUndefined();

    const offline = await signIn(google, 'alice@example.test');
    expect(offline.refresh_token).toEqual(expect.any(String));
    for (let i = 0; i < 2; i += 1) {
      // The same refresh token keeps working: Google does not rotate.
      const refreshed = await tokenRequest(google, {
        grant_type: 'refresh_token',
        refresh_token: offline.refresh_token ?? '',
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.access_token).toEqual(expect.any(String));
      expect(refreshed.body).not.toHaveProperty('refresh_token');
    }
  });

  it('injects token-endpoint faults for the next N requests only', async () => {
    const offline = await signIn(google, 'bob@example.test');
    await google.fault('html', 1);
    const html = await httpsPost(
      google.endpoints.token,
      {
        grant_type: 'refresh_token',
        refresh_token: offline.refresh_token ?? '',
        client_id: google.client.clientId,
        client_secret: google.client.clientSecret,
      },
      google.caCertPem,
    );
    expect(html.contentType).toMatch(/text\/html/);
    await google.fault('no_access_token', 1);
    const missing = await tokenRequest(google, {
      grant_type: 'refresh_token',
      refresh_token: offline.refresh_token ?? '',
    });
    expect(missing.body.access_token).toBeUndefined();
    const normal = await tokenRequest(google, {
      grant_type: 'refresh_token',
      refresh_token: offline.refresh_token ?? '',
    });
    expect(normal.status).toBe(200);
    expect(normal.body.access_token).toEqual(expect.any(String));
  });

  it('lists seeded messages with UIDs in seeding order and INTERNALDATE from mtime; recreateMailbox changes UIDVALIDITY', async () => {
    const user = 'alice@example.test';
    const subjects = ['first', 'second', 'third'];
    const mtimes = [
      new Date('2024-03-01T10:00:00Z'),
      new Date('2023-01-01T00:00:00Z'),
      new Date('2025-06-30T23:59:59Z'),
    ];
    const seeded = await dovecot.seed(
      user,
      subjects.map((s, i) => ({
        raw: Buffer.from(
          `From: a@example.test\r\nTo: ${user}\r\nSubject: ${s}\r\nMessage-ID: <${s}@example.test>\r\n\r\nbody ${s}\r\n`,
        ),
        mtime: mtimes[i],
      })),
    );
    expect(seeded).toMatchObject({ messages: 3, uidNext: 4 });

    const tokens = await signIn(microsoft, 'alice@example.test');
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.ports.imaps,
      secure: true,
      tls: { ca: dovecot.caCertPem },
      auth: { user: 'alice@example.test', accessToken: tokens.access_token ?? '' },
      logger: false,
    });
    await client.connect();
    const listed: Array<{ uid: number; subject: string; internalDate: number }> = [];
    let uidValidity: bigint;
    const lock = await client.getMailboxLock('INBOX');
    try {
      uidValidity = (client.mailbox as { uidValidity: bigint }).uidValidity;
      for await (const msg of client.fetch('1:*', { uid: true, envelope: true, internalDate: true })) {
        listed.push({
          uid: msg.uid,
          subject: msg.envelope?.subject ?? '',
          internalDate: new Date(msg.internalDate ?? 0).getTime(),
        });
      }
    } finally {
      lock.release();
    }
    await client.logout();
    expect(listed.map((m) => m.subject)).toEqual(subjects);
    expect(listed.map((m) => m.uid)).toEqual([1, 2, 3]);
    expect(listed.map((m) => m.internalDate)).toEqual(mtimes.map((d) => d.getTime()));

    const before = await dovecot.status('alice@example.test');
    expect(BigInt(before.uidValidity)).toBe(uidValidity);
    const after = await dovecot.recreateMailbox('alice@example.test');
    expect(after.uidValidity).not.toBe(before.uidValidity);
    expect(after.messages).toBe(before.messages);

    const again = new ImapFlow({
      host: dovecot.host,
      port: dovecot.ports.imaps,
      secure: true,
      tls: { ca: dovecot.caCertPem },
      auth: { user: 'alice@example.test', accessToken: tokens.access_token ?? '' },
      logger: false,
    });
    await again.connect();
    const status = await again.status('INBOX', { uidValidity: true, messages: true });
    await again.logout();
    expect(status).not.toBe(false);
    const seen = status === false ? undefined : status.uidValidity;
    expect(seen).toBe(BigInt(after.uidValidity));
    expect(seen).not.toBe(uidValidity);
  });

  it('answers a temporary failure while the OAuth server is down; stop() is idempotent and leaves nothing listening', async () => {
    const extraDir = tempDir('o2m-test-env-stop');
    const server = await startOAuthServer({ profile: 'google', dir: extraDir, redirectUris: [REDIRECT_URI] });
    const mail = await startDovecot({ dir: extraDir, oauth: server });
    const tokens = await signIn(server, 'alice@example.test');
    await server.stop();
    const unreachable = await rawXoauth2(mail.ports.imap, 'imap', 'alice@example.test', tokens.access_token ?? '');
    expect(unreachable.final).toMatch(/^a1 NO \[UNAVAILABLE\]/);
    expect(unreachable.challenge).toBeNull();

    const ports = [server.port, mail.ports.imap, mail.ports.imaps, mail.ports.pop3, mail.ports.submission];
    await Promise.all([mail.stop(), mail.stop(), server.stop()]);
    await server.stop();
    const refused = await Promise.all(
      ports.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.on('connect', () => {
              socket.destroy();
              resolve(false);
            });
            socket.on('error', () => resolve(true));
          }),
      ),
    );
    expect(refused).toEqual(ports.map(() => true));
  });
});
