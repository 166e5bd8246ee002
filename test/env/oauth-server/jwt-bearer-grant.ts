// The JWT bearer grant (RFC 7523 §2.1) as Google runs it for service accounts with domain-wide delegation: the
// assertion is signed with the service account's key and names the user to act for in `sub`; the answer is an
// access token for that user's mail, without a refresh token. Registered with oidc-provider's registerGrantType, so
// the token is oidc-provider's own (introspectable by Dovecot like every other).
import * as crypto from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { usersMatching } from '../users';
import type { ServerServiceAccount } from './config';
import type { ServerContext } from './context';
import { appTokenClaims } from './app-token-claims';

/** The grant type's name. */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Google's words for each refusal (what its token endpoint answers). */
const REFUSALS = {
  signature: ['invalid_grant', 'Invalid JWT Signature.'],
  lifetime: [
    'invalid_grant',
    'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. ' +
      'Check your iat and exp values in the JWT claim.',
  ],
  audience: ['invalid_grant', 'Invalid JWT: Failed audience check.'],
  subject: ['invalid_grant', 'Invalid email or User ID'],
  scope: [
    'unauthorized_client',
    'Client is unauthorized to retrieve access tokens using this method, ' +
      'or client not authorized for any of the scopes requested.',
  ],
  unknown: ['invalid_grant', 'Invalid grant: account not found'],
} as const;

/** oidc-provider client metadata of a service account: no client authentication, only this grant. */
export function serviceAccountClientMetadata(account: ServerServiceAccount): Record<string, unknown> {
  return {
    client_id: account.clientId,
    grant_types: [JWT_BEARER],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'none',
  };
}

/** The service account an assertion claims to come from (by `iss`, unverified), or undefined. */
export function serviceAccountOf(ctx: ServerContext, assertion: unknown): ServerServiceAccount | undefined {
  if (typeof assertion !== 'string') return undefined;
  try {
    const { iss } = decodeJwt(assertion);
    return ctx.config.serviceAccounts.find((account) => account.email === iss);
  } catch {
    return undefined;
  }
}

function refuse(koa: KoaContextWithOIDC, reason: keyof typeof REFUSALS): void {
  const [error, description] = REFUSALS[reason];
  koa.status = 400;
  koa.body = { error, error_description: description };
}

/** The grant handler for provider.registerGrantType. */
export function jwtBearerGrant(ctx: ServerContext, provider: Provider): (koa: KoaContextWithOIDC) => Promise<void> {
  const tokenEndpoint = `${ctx.issuer}/token`;
  return async (koa) => {
    ctx.stats.jwtBearerRequests += 1;
    const assertion = String(koa.oidc.params.assertion ?? '');
    const account = serviceAccountOf(ctx, assertion);
    if (!account) return refuse(koa, 'unknown');
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, crypto.createPublicKey(account.publicKeyPem), {
        algorithms: ['RS256'],
        issuer: account.email,
        clockTolerance: 5,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      return refuse(
        koa,
        code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? 'lifetime' : 'signature',
      );
    }
    if (payload.aud !== tokenEndpoint) return refuse(koa, 'audience');
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 3600)
      return refuse(koa, 'lifetime');
    const requested = String(payload.scope ?? '')
      .split(' ')
      .filter(Boolean);
    if (requested.length === 0 || requested.some((scope) => !account.scopes.includes(scope)))
      return refuse(koa, 'scope');
    const user = typeof payload.sub === 'string' ? usersMatching(ctx.users.values(), payload.sub)[0] : undefined;
    if (!user) return refuse(koa, 'subject');

    const token = new provider.ClientCredentials({ client: koa.oidc.client, scope: requested.join(' ') });
    const mailboxes = ctx.appMailboxes.get(account.clientId) ?? account.mailboxes;
    const opens = mailboxes === undefined || mailboxes.includes(user.email);
    token.extra = appTokenClaims(opens ? [user.email] : []);
    const value = await token.save();
    koa.status = 200;
    koa.body = { access_token: value, expires_in: token.expiration, token_type: 'Bearer' };
  };
}
