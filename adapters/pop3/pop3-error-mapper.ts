/**
 * Maps what a POP3 session fails with (a socket error, a Pop3WireError, a `-ERR` reply) into the plugin's closed
 * error codes (docs/architecture.md#failure-semantics); which server answer becomes which code:
 * docs/providers.md#pop3-server-answers.
 */
import { REFUSED_ADDRESS_CODE } from '../../lib/net/guarded-lookup';
import { redactSecrets as redact } from '../../lib/redact-secrets';
import { transportMismatch, type MailTransport } from '../tls/tls-mode-mismatch';
import { isTlsFailureCode } from '../tls/verified-tls';
import { PluginError, type PluginErrorCode } from '../../plugin/errors';

/** A `-ERR` reply to a command; `text` is the server's words. */
export class Pop3CommandRefused extends Error {
  /** @param text - the reply after `-ERR` (never the token: servers do not echo it) */
  constructor(readonly text: string) {
    super(`The mail server answered -ERR ${text}`);
    this.name = 'Pop3CommandRefused';
  }
}

/** The SASL exchange ended with `-ERR`; `challenge` is the decoded error challenge the server sent before, if any. */
export class Pop3AuthRefused extends Error {
  /**
   * @param text - the server's final words
   * @param challenge - the decoded JSON challenge (RFC 7628 §3.2.2 style: status, scope)
   */
  constructor(
    readonly text: string,
    readonly challenge: Readonly<Record<string, unknown>> | null,
  ) {
    super(`The mail server refused the login: ${text}`);
    this.name = 'Pop3AuthRefused';
  }
}

const TIMEOUT_CODES = new Set(['POP3_SILENT', 'ETIMEDOUT', 'ETIMEOUT']);

function classify(
  error: unknown,
  transport: MailTransport | undefined,
): { code: PluginErrorCode; detail: string; oauthStatus?: string } {
  if (error instanceof Pop3AuthRefused) {
    // Dovecot: "-ERR [SYS/TEMP] Temporary authentication failure." when the authorization server is unreachable;
    // "[IN-USE]": another session holds the maildrop lock (RFC 3206).
    if (/\[(?:SYS\/TEMP|IN-USE)\]/i.test(error.text))
      return { code: 'ERR_MAIL_UNAVAILABLE', detail: `The mail server could not log in right now: ${error.text}` };
    const status = typeof error.challenge?.status === 'string' ? error.challenge.status : undefined;
    return {
      code: 'ERR_MAIL_AUTH_FAILED',
      detail: `The mail server refused the access token: ${error.text}${status ? ` (status ${status})` : ''}`,
      ...(status ? { oauthStatus: status } : {}),
    };
  }
  if (error instanceof Pop3CommandRefused) {
    if (/\[IN-USE\]/i.test(error.text))
      return { code: 'ERR_MAIL_UNAVAILABLE', detail: `The maildrop is locked by another session: ${error.text}` };
    return { code: 'ERR_MAIL_UNAVAILABLE', detail: `The mail server refused a command: ${error.text}` };
  }
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === REFUSED_ADDRESS_CODE) return { code: 'ERR_ADDRESS_REFUSED', detail: message };
  const mismatch = transportMismatch(code, message, transport, TIMEOUT_CODES.has(code));
  if (mismatch) return mismatch;
  if (isTlsFailureCode(code))
    return { code: 'ERR_MAIL_TLS', detail: `TLS with the mail server failed: ${message} (${code})` };
  if (TIMEOUT_CODES.has(code))
    return { code: 'ERR_TIMEOUT', detail: `The mail server did not answer in time: ${message}` };
  return {
    code: 'ERR_MAIL_UNAVAILABLE',
    detail: `The mail server could not be reached or dropped the connection: ${message}${code ? ` (${code})` : ''}`,
  };
}

/**
 * Turns a POP3 failure into a {@link PluginError}; a PluginError passes through unchanged.
 * @param error - what was thrown
 * @param context - what was being done ("connect", "RETR 3") and the strings to scrub (the access token)
 */
export function mapPop3Error(
  error: unknown,
  context: {
    readonly operation: string;
    readonly secrets: readonly string[];
    /** Where the session connected (connect only): tells a TLS mode mismatch or a closed port from the rest. */
    readonly transport?: MailTransport;
  },
): PluginError {
  if (error instanceof PluginError) return error;
  const { code, detail, oauthStatus } = classify(error, context.transport);
  const cause = new Error(redact(error instanceof Error ? error.message : String(error), context.secrets));
  cause.name = 'Pop3Error';
  return new PluginError(
    code,
    redact(`${context.operation}: ${detail}`, context.secrets),
    {
      operation: context.operation,
      ...(oauthStatus ? { oauthStatus } : {}),
      // The server said -ERR to a command: the session goes on (a message gone, a refused DELE).
      ...(error instanceof Pop3CommandRefused ? { refused: true } : {}),
    },
    { cause },
  );
}
