/** HTTP status of each error code, for pages and JSON answers. */
import type { PluginErrorCode } from '../../plugin/index';

const STATUS: Partial<Record<PluginErrorCode, number>> = {
  ERR_INPUT_INVALID: 400,
  ERR_MANIFEST_INVALID: 400,
  ERR_STATE_UNKNOWN: 400,
  ERR_STATE_EXPIRED: 400,
  ERR_STATE_REPLAYED: 400,
  ERR_STATE_OTHER_ADMIN: 403,
  ERR_AUTHORIZATION_DENIED: 400,
  ERR_AUTHORIZATION_CODE_MISSING: 400,
  ERR_IDENTITY_MISMATCH: 400,
  ERR_ID_TOKEN_INVALID: 400,
  ERR_FORBIDDEN: 403,
  ERR_CSRF: 403,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_DATABASE_UNAVAILABLE: 503,
  ERR_PROVIDER_UNAVAILABLE: 502,
  ERR_TIMEOUT: 504,
};

/**
 * The HTTP status for an error code (500 when the code means a fault on our side).
 * @param code - the PluginError code
 */
export function httpStatusOf(code: PluginErrorCode): number {
  return STATUS[code] ?? 500;
}
