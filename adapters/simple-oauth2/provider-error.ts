/**
 * Maps what went wrong at a provider endpoint (a Boom error from simple-oauth2 / Wreck, or a plain HTTP answer)
 * to a PluginError with secret-free details. Boom objects never leave this folder.
 */
import { REFUSED_ADDRESS_CODE } from '../../lib/net/guarded-lookup';
import { visibleText } from '../../lib/visible-text';
import { PluginError, type ErrorDetails, type PluginErrorCode } from '../../plugin/errors';
import { HttpTransportError } from '../http/http-request';

/** RFC 6749 §5.2 / OIDC error values -> the plugin's base code; the provider behaviour in plugin/oauth refines it. */
const OAUTH_ERROR_CODES: Readonly<Record<string, PluginErrorCode>> = {
  invalid_grant: 'ERR_GRANT_INVALID',
  invalid_client: 'ERR_CLIENT_INVALID',
  unauthorized_client: 'ERR_PROVIDER_CONFIG',
  invalid_scope: 'ERR_PROVIDER_CONFIG',
  invalid_request: 'ERR_PROVIDER_CONFIG',
  unsupported_grant_type: 'ERR_PROVIDER_CONFIG',
  invalid_resource: 'ERR_PROVIDER_CONFIG',
  invalid_target: 'ERR_PROVIDER_CONFIG',
  interaction_required: 'ERR_INTERACTION_REQUIRED',
  login_required: 'ERR_INTERACTION_REQUIRED',
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

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/;

/** True when a socket error code (or an HTTP transport reason) is a failed TLS verification. */
export function isTlsFailure(code: string): boolean {
  return TLS_ERROR.test(code);
}

/**
 * A provider request that got no HTTP answer: the network policy refused the address, the certificate was refused,
 * or the provider could not be reached (retried). Anything that is not a transport failure is returned unchanged.
 * @param what - which endpoint, for the message ("token endpoint")
 */
export function providerTransportError(what: string, error: unknown): unknown {
  if (!(error instanceof HttpTransportError)) return error;
  if (error.reason === REFUSED_ADDRESS_CODE)
    return new PluginError('ERR_ADDRESS_REFUSED', `${what}: ${error.message}`, { networkError: error.reason });
  if (isTlsFailure(error.reason)) return providerTlsError(what, error.reason);
  return new PluginError('ERR_PROVIDER_UNAVAILABLE', `${what}: ${error.message}`, {
    networkError: error.reason,
    timeout: error.reason === 'timeout',
  });
}

/** The provider's certificate was refused: not the provider being down, so never "nothing to do". */
export function providerTlsError(what: string, socketCode: string): PluginError {
  return new PluginError('ERR_PROVIDER_TLS', `${what}'s TLS certificate could not be verified (${socketCode}).`, {
    tls: true,
    networkError: socketCode,
  });
}
const MAX_DESCRIPTION = 300;

/** The shape of a Boom error, as far as we read it. */
interface BoomLike {
  readonly isBoom: true;
  readonly message: string;
  readonly output: { readonly statusCode: number };
  readonly data?: {
    readonly isResponseError?: boolean;
    readonly payload?: unknown;
    readonly res?: { readonly statusCode?: number };
    readonly code?: unknown;
  } | null;
}

/** True for errors thrown by @hapi/boom (simple-oauth2 and Wreck). */
export function isBoom(error: unknown): error is BoomLike {
  return typeof error === 'object' && error !== null && (error as { isBoom?: unknown }).isBoom === true;
}

/** The first line of a provider's error_description, without Trace/Correlation ids, trimmed to a sane length. */
export function firstLine(description: unknown): string | undefined {
  if (typeof description !== 'string') return undefined;
  const line = visibleText(description.split(/\r?\n/)[0]!.trim());
  if (line.length === 0) return undefined;
  return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
}

/**
 * A PluginError for an HTTP error answer whose body may be an OAuth error object.
 * @param what - which endpoint, in words ("The token endpoint")
 * @param status - the HTTP status
 * @param payload - the parsed JSON body, or anything else when it was not JSON
 */
export function errorFromAnswer(what: string, status: number, payload: unknown): PluginError {
  const body =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : null;
  const providerError = typeof body?.error === 'string' ? body.error : undefined;
  const providerCodes = Array.isArray(body?.error_codes)
    ? body.error_codes.filter((code) => typeof code === 'number' || typeof code === 'string').map(String)
    : undefined;
  const suberror =
    typeof body?.suberror === 'string'
      ? body.suberror
      : typeof body?.error_subtype === 'string'
        ? body.error_subtype
        : undefined;
  const providerDescription = firstLine(body?.error_description);
  const details: ErrorDetails = { httpStatus: status, providerError, providerCodes, suberror, providerDescription };

  let code: PluginErrorCode;
  if (status >= 500 || status === 429) code = 'ERR_PROVIDER_UNAVAILABLE';
  else if (providerError !== undefined) code = OAUTH_ERROR_CODES[providerError] ?? 'ERR_PROVIDER_CONFIG';
  else if (status === 401) code = 'ERR_CLIENT_INVALID';
  else if (status === 404 || status === 405) code = 'ERR_PROVIDER_CONFIG';
  else code = 'ERR_PROVIDER_UNAVAILABLE';

  const said = providerError
    ? `${visibleText(providerError.slice(0, 100))}${providerDescription ? ` (${providerDescription})` : ''}`
    : body
      ? 'an error without an OAuth error code'
      : 'an error page that is not JSON';
  return new PluginError(code, `${what} answered HTTP ${status} with ${said}.`, details);
}

/**
 * Maps anything simple-oauth2 / Wreck threw for a request to `what`.
 * @param what - which endpoint, in words
 * @param error - the thrown value
 */
export function errorFromBoom(what: string, error: unknown): PluginError {
  if (!isBoom(error)) {
    // Transport and HTTP failures are Boom errors; anything else comes from simple-oauth2 processing a 2xx body it
    // could not handle (Hoek's "without a token to parse" for an empty body, a TypeError for `null` or a JSON string).
    return new PluginError('ERR_TOKEN_RESPONSE_INVALID', `${what} answered with an empty or unreadable body.`, {
      problem: 'empty_body',
    });
  }
  const data = error.data ?? null;
  if (data?.isResponseError) return errorFromAnswer(what, error.output.statusCode, data.payload);

  const answeredStatus = typeof data?.res?.statusCode === 'number' ? data.res.statusCode : undefined;
  if (answeredStatus !== undefined) {
    // The server answered, but the body could not be read as JSON (HTML page, broken JSON).
    if (answeredStatus >= 400) {
      return new PluginError(
        'ERR_PROVIDER_UNAVAILABLE',
        `${what} answered HTTP ${answeredStatus} with a body that is not JSON (an error page).`,
        { httpStatus: answeredStatus, problem: 'not_json' },
      );
    }
    return new PluginError(
      'ERR_TOKEN_RESPONSE_INVALID',
      `${what} answered HTTP ${answeredStatus} with a body that is not JSON.`,
      { httpStatus: answeredStatus, problem: 'not_json' },
    );
  }
  if (error.output.statusCode === 504 || error.output.statusCode === 408) {
    return new PluginError('ERR_PROVIDER_UNAVAILABLE', `${what} did not answer in time.`, { timeout: true });
  }
  const socketCode = typeof data?.code === 'string' ? data.code : undefined;
  // Boom turns Wreck's socket error itself into the Boom error (no `data`), prefixing its message.
  if ((error as { code?: unknown }).code === REFUSED_ADDRESS_CODE) {
    const reason = error.message.replace(/^Client request error: /, '');
    return new PluginError('ERR_ADDRESS_REFUSED', `${what}: ${reason}`, { networkError: REFUSED_ADDRESS_CODE });
  }
  if (socketCode && TLS_ERROR.test(socketCode)) return providerTlsError(what, socketCode);
  return new PluginError(
    'ERR_PROVIDER_UNAVAILABLE',
    `${what} could not be reached${socketCode ? ` (${socketCode})` : ''}.`,
    { networkError: socketCode },
  );
}
