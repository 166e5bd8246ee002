/**
 * What the screen, the console, the notifications and the health answer say about an error: the row of the one
 * error table (plugin/errors.ts) for its code, narrowed to one cause where the row tells causes apart and the error
 * says which (`details.cause`, set where the server's answer, or what the plugin checks next to it, decides).
 */
import { ERROR_CODES, toPluginError, type ErrorCodeInfo, type PluginErrorCode } from './errors';

/** What happened and what to do, for one error. */
export interface Diagnosis {
  readonly code: PluginErrorCode;
  /** What happened, in the table's words. */
  readonly message: string;
  /** What to do: the cause's fix when the cause is known, else the row's. */
  readonly fix: string;
  /** The cause (a key of the row's `causes`) when the error names one. */
  readonly cause?: string;
}

/**
 * The diagnosis of anything thrown (or of a bare code, e.g. an account's stored status code).
 * @param error - a PluginError, anything thrown, or an error code
 */
export function diagnose(error: unknown): Diagnosis {
  if (typeof error === 'string' && error in ERROR_CODES) return diagnoseCode(error as PluginErrorCode);
  const pluginError = toPluginError(error);
  const cause = pluginError.details.cause;
  return diagnoseCode(pluginError.code, typeof cause === 'string' ? cause : undefined);
}

/**
 * The diagnosis of one code, with the cause's fix when `cause` is one the row knows.
 * @param code - an error code of the table
 * @param cause - a key of the row's `causes`
 */
export function diagnoseCode(code: PluginErrorCode, cause?: string): Diagnosis {
  const info: ErrorCodeInfo = ERROR_CODES[code];
  const known = cause !== undefined ? info.causes?.[cause] : undefined;
  return known
    ? { code, message: info.message, fix: known.fix, cause }
    : { code, message: info.message, fix: info.fix };
}
