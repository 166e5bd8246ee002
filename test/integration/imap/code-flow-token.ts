/** Tokens for the IMAP tests, obtained through the real authorization-code + PKCE flow at the local OAuth server. */
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import { completeAuthorization, type OAuthServerHandle } from '../../helpers/test-env';

/** What the token endpoint returned. */
export interface CodeFlowTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresIn: number;
}

function postForm(url: string, form: Record<string, string>, ca: string): Promise<{ status: number; text: string }> {
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
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Signs `login` in through the server's login page (completeAuthorization) and exchanges the code.
 * @param server - the running test OAuth server
 * @param login - a test user's login (password `<name>-password`)
 */
export async function codeFlowTokens(server: OAuthServerHandle, login: string): Promise<CodeFlowTokens> {
  const user = server.user(login);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const redirectUri = server.client.redirectUris[0];
  const url = new URL(server.endpoints.authorization);
  const params: Record<string, string> = {
    client_id: server.client.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: server.defaultScope,
    state,
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    login_hint: user.email,
    ...server.authorizationParams,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const back = new URL(
    await completeAuthorization(url.href, {
      login: user.login,
      password: user.password ?? '',
      caCertPem: server.caCertPem,
    }),
  );
  const code = back.searchParams.get('code');
  if (!code || back.searchParams.get('state') !== state) throw new Error(`authorization failed: ${back.search}`);
  const res = await postForm(
    server.endpoints.token,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: server.client.clientId,
      client_secret: server.client.clientSecret,
    },
    server.caCertPem,
  );
  const body = JSON.parse(res.text) as { access_token?: string; refresh_token?: string; expires_in?: number };
  if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: HTTP ${res.status}`);
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? null,
    expiresIn: Number(body.expires_in ?? 0),
  };
}
