/**
 * Maps what imapflow 2.10.2 throws into the plugin's closed error codes (docs/architecture.md#failure-semantics);
 * which server answer becomes which code: docs/providers.md#imap-server-answers.
 */
import { REFUSED_ADDRESS_CODE } from '../../lib/net/guarded-lookup';
// A SASL payload never belongs in a message, whatever produced it; the server's words are shown, never obeyed.
import { redactSecrets as redact } from '../../lib/redact-secrets';
import { transportMismatch, type MailTransport } from '../tls/tls-mode-mismatch';
import { isTlsFailureCode } from '../tls/verified-tls';
import { PluginError, type ErrorDetails, type PluginErrorCode } from '../../plugin/errors';

/** The fields imapflow puts on its errors (plain `Error` objects, never a class to test with instanceof). */
interface ImapFlowErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly authenticationFailed?: unknown;
  readonly serverResponseCode?: unknown;
  readonly responseStatus?: unknown;
  readonly responseText?: unknown;
  readonly response?: unknown;
  readonly reason?: unknown;
  readonly tlsFailed?: unknown;
  readonly oauthError?: unknown;
  readonly throttleReset?: unknown;
  readonly mailboxMissing?: unknown;
}

/** What the mapper needs to know besides the error. */
export interface ImapErrorContext {
  /** What was being done, for the admin: "connect", "open folder INBOX", "download UID 7" … */
  readonly operation: string;
  /** Strings that must never appear in a message (the access token); replaced by `[redacted]`. */
  readonly secrets?: readonly string[];
  /** The session's BYE reason, when the server said goodbye before the failure. */
  readonly byeReason?: string | undefined;
  /** Where the session connected and with which TLS mode (connect only): tells a TLS mode mismatch from a timeout. */
  readonly transport?: MailTransport;
}

const TIMEOUT_CODES = new Set([
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'ETIMEDOUT',
  'LockTimeout',
]);
const UNAVAILABLE_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'StateLogout',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ETHROTTLE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ProxyError',
  'EPROXY',
  'UnexpectedTag',
  'MissingTag',
  'InvalidResponse',
  'ResponseProcessingFailed',
  'PollFailed',
]);

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  return '';
}

/** The server's words behind a failed command: responseText, the BYE reason, or the NAMESPACE probe's text. */
function serverText(err: ImapFlowErrorLike, byeReason: string | undefined): string {
  return [
    text(err.responseText),
    text(err.reason),
    typeof err.response === 'string' ? err.response : '',
    byeReason ?? '',
  ]
    .filter((part) => part.length > 0)
    .join(' | ');
}

function oauthDetails(err: ImapFlowErrorLike): ErrorDetails {
  const oauth = err.oauthError;
  if (typeof oauth !== 'object' || oauth === null) return {};
  const fields = oauth as Record<string, unknown>;
  return {
    oauthStatus: typeof fields.status === 'string' ? fields.status : undefined,
    oauthScope: typeof fields.scope === 'string' ? fields.scope : undefined,
  };
}

/** A cause safe to keep next to the error: imapflow's error object carries the parsed response and socket state. */
function safeCause(err: ImapFlowErrorLike, secrets: readonly string[]): Error {
  const cause = new Error(redact(text(err.message) || String(err), secrets));
  cause.name = 'ImapFlowError';
  return Object.assign(cause, { code: typeof err.code === 'string' ? err.code : undefined });
}

function classify(
  err: ImapFlowErrorLike,
  words: string,
  transport?: ImapErrorContext['transport'],
): { code: PluginErrorCode; detail: string } {
  const code = typeof err.code === 'string' ? err.code : '';
  const message = text(err.message);
  // The guarded lookup refused where the host name resolves (lib/net/guarded-lookup.ts).
  if (code === REFUSED_ADDRESS_CODE) return { code: 'ERR_ADDRESS_REFUSED', detail: message };
  // Exchange Online: the session ends with "* BYE Session invalidated - AccessTokenExpired"
  // (docs/providers.md#exchange-online-imap).
  if (/AccessTokenExpired/i.test(words) || /AccessTokenExpired/i.test(message)) {
    return {
      code: 'ERR_MAIL_TOKEN_EXPIRED',
      detail: 'The mail server ended the session because the access token expired.',
    };
  }
  // Exchange Online accepts AUTHENTICATE, then fails NAMESPACE with this text (docs/providers.md#exchange-online-imap).
  if (/authenticated but not connected/i.test(words)) {
    return {
      code: 'ERR_MAILBOX_ACCESS_DENIED',
      detail:
        'The mail server accepted the login but cannot open the mailbox: "User is authenticated but not connected".',
    };
  }
  // Dovecot: "NO [UNAVAILABLE] Temporary authentication failure." when the authorization server is unreachable.
  if (err.serverResponseCode === 'UNAVAILABLE') {
    return {
      code: 'ERR_MAIL_UNAVAILABLE',
      detail: `The mail server could not check the token right now: ${words || message}`,
    };
  }
  if (err.authenticationFailed === true) {
    return { code: 'ERR_MAIL_AUTH_FAILED', detail: `The mail server refused the access token: ${words || message}` };
  }
  if (message === 'Unsupported authentication mechanism') {
    return { code: 'ERR_MAIL_AUTH_FAILED', detail: 'The mail server offers neither XOAUTH2 nor OAUTHBEARER.' };
  }
  const mismatch = transportMismatch(code, message, transport, TIMEOUT_CODES.has(code));
  if (mismatch) return mismatch;
  if (err.tlsFailed === true || isTlsFailureCode(code)) {
    return { code: 'ERR_MAIL_TLS', detail: `TLS with the mail server failed: ${message}${code ? ` (${code})` : ''}` };
  }
  if (TIMEOUT_CODES.has(code)) {
    return { code: 'ERR_TIMEOUT', detail: `The mail server did not answer in time (${code}).` };
  }
  // imapflow flags a failed SELECT; Dovecot 2.3 says "NO Mailbox doesn't exist" without [NONEXISTENT].
  if (err.mailboxMissing === true || err.serverResponseCode === 'NONEXISTENT') {
    return { code: 'ERR_MAIL_FOLDER_NOT_FOUND', detail: `The folder does not exist: ${words || message}` };
  }
  if (UNAVAILABLE_CODES.has(code)) {
    const reason = `${words || message}${code ? ` (${code})` : ''}`;
    return {
      code: 'ERR_MAIL_UNAVAILABLE',
      detail: `The mail server could not be reached or dropped the connection: ${reason}`,
    };
  }
  if (err.responseStatus === 'NO' || err.responseStatus === 'BAD') {
    return { code: 'ERR_MAIL_UNAVAILABLE', detail: `The mail server refused a command: ${words || message}` };
  }
  return { code: 'ERR_MAIL_UNAVAILABLE', detail: `Unexpected mail server failure: ${message || code || 'unknown'}` };
}

/**
 * Turns anything imapflow (or the socket under it) threw into a {@link PluginError}.
 * A PluginError passes through unchanged; the message and details never carry the token.
 * @param error - what was thrown
 * @param context - the operation and the secrets to scrub
 * @returns the mapped error; its `cause` is a scrubbed summary, never imapflow's own object
 */
export function mapImapError(error: unknown, context: ImapErrorContext): PluginError {
  if (error instanceof PluginError) return error;
  const secrets = context.secrets ?? [];
  const err: ImapFlowErrorLike =
    typeof error === 'object' && error !== null ? (error as ImapFlowErrorLike) : { message: String(error) };
  const words = serverText(err, context.byeReason);
  const { code, detail } = classify(err, words, context.transport);
  const details: ErrorDetails = {
    operation: context.operation,
    imapCode: typeof err.code === 'string' ? err.code : undefined,
    serverResponseCode: typeof err.serverResponseCode === 'string' ? err.serverResponseCode : undefined,
    responseStatus: typeof err.responseStatus === 'string' ? err.responseStatus : undefined,
    ...oauthDetails(err),
  };
  return new PluginError(code, redact(`${context.operation}: ${detail}`, secrets), details, {
    cause: safeCause(err, secrets),
  });
}
