// Token-endpoint errors in the shapes of the imitated providers, so clients meet what production sends.
import * as crypto from 'node:crypto';
import type { ServerContext } from './context';

/** A token-endpoint error body: OAuth's `error` and `error_description`, plus the provider's extras. */
export interface TokenErrorBody {
  error: string;
  error_description?: string;
  [extra: string]: unknown;
}

const MICROSOFT_ERRORS = {
  revoked: [
    50173,
    'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
  ],
  expired: [
    70008,
    'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  ],
  pkce: [501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'],
  code: [70000, "The provided value for the input parameter 'code' is not valid."],
  invalid_client: [
    7000215,
    'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
  ],
  secret_expired: [
    7000222,
    'The provided client secret keys for app are expired. Visit the Azure portal to create new keys for your app.',
  ],
  invalid_scope: [
    70011,
    "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.",
  ],
  unauthorized_client: [
    700016,
    'Application was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant.',
  ],
  unsupported_grant_type: [70003, 'The app requested an unsupported grant type.'],
  invalid_request: [900144, "The request body must contain the following parameter: 'grant_type'."],
  invalid_target: [500011, 'The resource principal was not found in the tenant.'],
  assertion_invalid: [700027, 'Client assertion failed signature validation.'],
  assertion_expired: [700024, 'Client assertion is not within its valid time range.'],
  device_pending: [70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'],
  device_expired: [70019, 'Verification code expired.'],
} satisfies Record<string, [number, string]>;

type MicrosoftErrorKey = keyof typeof MICROSOFT_ERRORS;

/** An Entra ID (AADSTS) error body: code in the description and in error_codes, trace and correlation ids. */
export function microsoftError(origin: string, error: string, key: MicrosoftErrorKey): TokenErrorBody {
  const [code, text] = MICROSOFT_ERRORS[key];
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  return {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${origin}/error?code=${code}`,
  };
}

const MICROSOFT_KEYS: Readonly<Record<string, MicrosoftErrorKey>> = {
  invalid_client: 'invalid_client',
  invalid_scope: 'invalid_scope',
  unauthorized_client: 'unauthorized_client',
  unsupported_grant_type: 'unsupported_grant_type',
  invalid_request: 'invalid_request',
  invalid_target: 'invalid_target',
};

/** Whether a client assertion's `exp` (read without checking the signature) has passed. */
function assertionExpired(assertion: unknown): boolean {
  if (typeof assertion !== 'string') return false;
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' && payload.exp * 1000 < Date.now();
  } catch {
    return false;
  }
}

/** Entra's answers while a device code is polled (docs: authorization_pending, authorization_declined, expired_token). */
function microsoftDeviceError(ctx: ServerContext, body: TokenErrorBody): TokenErrorBody | undefined {
  if (body.error === 'authorization_pending') return microsoftError(ctx.origin, body.error, 'device_pending');
  if (body.error === 'expired_token') return microsoftError(ctx.origin, body.error, 'device_expired');
  if (body.error === 'access_denied')
    return { error: 'authorization_declined', error_description: 'The end user denied the authorization request.' };
  return undefined;
}

/** oidc-provider's error `body` for a token request with `params`, reshaped like the profile's provider. */
export function shapeTokenError(
  ctx: ServerContext,
  body: TokenErrorBody,
  params: Record<string, unknown>,
): TokenErrorBody {
  const grantType = params.grant_type;
  // The JWT bearer grant answers in Google's words already (jwt-bearer-grant.ts).
  if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return body;
  if (ctx.profileName === 'microsoft') {
    if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
      const device = microsoftDeviceError(ctx, body);
      if (device) return device;
    }
    if (body.error === 'invalid_client' && params.client_assertion !== undefined)
      return microsoftError(
        ctx.origin,
        body.error,
        assertionExpired(params.client_assertion) ? 'assertion_expired' : 'assertion_invalid',
      );
    let key: MicrosoftErrorKey | undefined;
    if (body.error === 'invalid_grant') {
      if (grantType === 'refresh_token') key = ctx.grants.wasRevoked(params.refresh_token) ? 'revoked' : 'expired';
      else key = /pkce|code_verifier/i.test(body.error_description ?? '') ? 'pkce' : 'code';
    } else {
      key = Object.hasOwn(MICROSOFT_KEYS, body.error) ? MICROSOFT_KEYS[body.error] : undefined;
    }
    if (!key) return body;
    return microsoftError(ctx.origin, body.error === 'invalid_target' ? 'invalid_resource' : body.error, key);
  }
  switch (body.error) {
    case 'invalid_grant':
      return {
        error: 'invalid_grant',
        error_description: grantType === 'refresh_token' ? 'Token has been expired or revoked.' : 'Bad Request',
      };
    case 'invalid_client':
      return { error: 'invalid_client', error_description: 'Unauthorized' };
    default:
      return body;
  }
}
