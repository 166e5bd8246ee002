/**
 * Checks an ID token from the token endpoint (OIDC Core §3.1.3.7): signature against the provider's keys
 * (fetched through the OAuth client, so a custom CA works, then used as a local JWKS), issuer, audience,
 * expiry and nonce.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { PluginError } from '../errors';
import type { OAuthClient, OAuthEndpoints } from '../ports/oauth-client';

/** What to check the token against. */
export interface IdTokenExpectations {
  readonly clientId: string;
  /** The nonce of the authorization request; undefined when none was sent (device flow): the token carries none. */
  readonly nonce: string | undefined;
  /** Epoch ms. */
  readonly now: number;
}

/** Clock difference tolerated between us and the provider. */
const CLOCK_TOLERANCE_SECONDS = 120;

/**
 * Verifies `idToken` and returns its claims.
 * @throws PluginError ERR_ID_TOKEN_INVALID (signature, iss, aud, exp or nonce wrong) | ERR_PROVIDER_CONFIG (no key set known) | ERR_PROVIDER_UNAVAILABLE
 */
export async function verifyIdToken(
  oauthClient: OAuthClient,
  endpoints: OAuthEndpoints,
  idToken: string,
  expect: IdTokenExpectations,
): Promise<JWTPayload> {
  if (!endpoints.jwksUri || !endpoints.issuer) {
    throw new PluginError(
      'ERR_PROVIDER_CONFIG',
      "The provider's key set or issuer is unknown, so its ID token cannot be checked (configure an issuer URL).",
      {},
    );
  }
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(idToken);
  } catch {
    throw new PluginError('ERR_ID_TOKEN_INVALID', 'The ID token is not a JWT.', { check: 'format' });
  }
  // Entra's multi-tenant issuer is a template: https://login.microsoftonline.com/{tenantid}/v2.0.
  const issuer =
    endpoints.issuer.includes('{tenantid}') && typeof unverified.tid === 'string'
      ? endpoints.issuer.replace('{tenantid}', unverified.tid)
      : endpoints.issuer;
  const jwks = await oauthClient.fetchJwks(endpoints.jwksUri);
  let payload: JWTPayload;
  try {
    const verified = await jwtVerify(idToken, createLocalJWKSet({ keys: jwks.keys as never }), {
      issuer,
      audience: expect.clientId,
      currentDate: new Date(expect.now),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    payload = verified.payload;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const claim = (error as { claim?: unknown }).claim;
    const check = typeof claim === 'string' ? claim : typeof code === 'string' ? code : 'signature';
    throw new PluginError('ERR_ID_TOKEN_INVALID', `The ID token failed its ${check} check.`, { check });
  }
  if (payload.nonce !== expect.nonce) {
    throw new PluginError(
      'ERR_ID_TOKEN_INVALID',
      'The ID token failed its nonce check (it belongs to another sign-in).',
      { check: 'nonce' },
    );
  }
  return payload;
}
