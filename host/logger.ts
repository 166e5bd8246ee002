/**
 * The host's structured logger (pino) and its {@link LoggerPort} adapter. Keys that may hold a
 * secret are redacted at any of the first three levels, whatever a caller passes. (`code` and
 * `state` are not redacted by name because `code` carries error codes; the web layer never logs
 * query strings, where OAuth codes and states travel.)
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFields, LoggerPort } from '../plugin/index';

const SECRET_KEYS = [
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'secret',
  'clientSecret',
  'client_secret',
  'authorizationCode',
  'codeVerifier',
  'code_verifier',
  'authorization',
  'cookie',
  'sid',
  'csrf',
  'csrfToken',
  'privateKey',
  'secretKey',
];

/** pino redact paths covering {@link SECRET_KEYS} at the top level and two levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** Options of {@link createLogger}. */
export interface HostLoggerOptions {
  /** pino level; default `info`. */
  readonly level?: string;
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger with secret redaction.
 * @param options - level and destination
 */
export function createLogger(options: HostLoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'oauth2-mail-host' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    },
    options.destination ?? pino.destination(1),
  );
}

/**
 * Adapts a pino logger to the plugin's {@link LoggerPort}.
 * @param logger - the pino logger (usually a child bound to the plugin id)
 */
export function toLoggerPort(logger: Logger): LoggerPort {
  const fields = (value: LogFields | undefined): object => (value ? { ...value } : {});
  return {
    debug: (msg, extra) => logger.debug(fields(extra), msg),
    info: (msg, extra) => logger.info(fields(extra), msg),
    warn: (msg, extra) => logger.warn(fields(extra), msg),
    error: (msg, extra) => logger.error(fields(extra), msg),
    child: (bindings) => toLoggerPort(logger.child({ ...bindings })),
  };
}
