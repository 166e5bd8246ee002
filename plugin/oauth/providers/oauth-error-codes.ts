/** The standard OAuth2 / OIDC `error` values (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6) and what they mean for the plugin. */
import { PluginError, type PluginErrorCode } from '../../errors';

/** `error` value -> plugin code. */
export const OAUTH_ERROR_CODES: Readonly<Record<string, PluginErrorCode>> = {
  invalid_grant: 'ERR_GRANT_INVALID',
  invalid_client: 'ERR_CLIENT_INVALID',
  unauthorized_client: 'ERR_PROVIDER_CONFIG',
  invalid_scope: 'ERR_PROVIDER_CONFIG',
  invalid_request: 'ERR_PROVIDER_CONFIG',
  invalid_request_uri: 'ERR_PROVIDER_CONFIG',
  unsupported_response_type: 'ERR_PROVIDER_CONFIG',
  unsupported_grant_type: 'ERR_PROVIDER_CONFIG',
  invalid_resource: 'ERR_PROVIDER_CONFIG',
  invalid_target: 'ERR_PROVIDER_CONFIG',
  interaction_required: 'ERR_INTERACTION_REQUIRED',
  login_required: 'ERR_INTERACTION_REQUIRED',
  account_selection_required: 'ERR_INTERACTION_REQUIRED',
  consent_required: 'ERR_CONSENT_REQUIRED',
  access_denied: 'ERR_AUTHORIZATION_DENIED',
  // RFC 8628 §3.5 (device flow); Entra says authorization_declined and bad_verification_code.
  authorization_declined: 'ERR_AUTHORIZATION_DENIED',
  expired_token: 'ERR_DEVICE_CODE_EXPIRED',
  bad_verification_code: 'ERR_DEVICE_CODE_EXPIRED',
  temporarily_unavailable: 'ERR_PROVIDER_UNAVAILABLE',
  server_error: 'ERR_PROVIDER_UNAVAILABLE',
  slow_down: 'ERR_PROVIDER_UNAVAILABLE',
};

/** Codes that describe the transport, not the provider's verdict: a provider never re-labels them. */
const TRANSPORT_CODES: ReadonlySet<PluginErrorCode> = new Set([
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_PROVIDER_TLS',
  'ERR_TOKEN_RESPONSE_INVALID',
  'ERR_REVOCATION_FAILED',
]);

/** True when `error` is about the answer's transport (5xx, timeout, unreadable body) rather than its content. */
export function isTransportError(error: PluginError): boolean {
  return TRANSPORT_CODES.has(error.code);
}

/** The same error under another code (message and details kept). */
export function recode(error: PluginError, code: PluginErrorCode): PluginError {
  return error.code === code ? error : new PluginError(code, error.message, error.details);
}

/**
 * The standard classification by `error` alone (the adapter already did this for token answers; the
 * redirect's `error=` parameter arrives here untouched).
 */
export function classifyStandard(error: PluginError): PluginError {
  if (isTransportError(error)) return error;
  const providerError = error.details.providerError;
  if (typeof providerError !== 'string') return error;
  const code = OAUTH_ERROR_CODES[providerError];
  return code ? recode(error, code) : error;
}

/** AADSTS numbers found in the details' `providerCodes` and in the description text (the redirect carries only the text). */
export function providerCodesOf(error: PluginError): string[] {
  const codes = new Set<string>();
  const listed = error.details.providerCodes;
  if (Array.isArray(listed)) for (const code of listed) codes.add(String(code));
  const description = typeof error.details.providerDescription === 'string' ? error.details.providerDescription : '';
  for (const match of description.matchAll(/AADSTS(\d+)/g)) codes.add(match[1]!);
  return [...codes];
}
