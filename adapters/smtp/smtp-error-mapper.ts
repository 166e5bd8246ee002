/**
 * Maps what nodemailer 10 throws into the plugin's closed error codes. The server's own words decide first (the
 * enhanced status codes Microsoft and Google document, docs/providers.md "SMTP submission answers"), then the
 * SMTP command that failed and the reply class (4xx temporary, 5xx permanent), then the socket's error code.
 */
import { isTlsModeError } from '../tls/tls-mode-mismatch';
import { PluginError, type ErrorDetails, type PluginErrorCode } from '../../plugin/errors';
import { XOAuth2Refused } from './xoauth2-authentication';

/** The fields nodemailer puts on its errors (plain `Error` objects). */
interface NodemailerErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly originalCode?: unknown;
  readonly response?: unknown;
  readonly responseCode?: unknown;
  readonly command?: unknown;
  readonly rejected?: unknown;
  readonly rejectedErrors?: unknown;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT']);
const TLS_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$|ETLS$|ERR_OSSL)/;
const TLS_TEXT = /certificate|self[- ]signed|wrong version number|SSL routines|TLS/i;
/** How much of a server answer is kept in a message: enough for the enhanced code and the provider's words. */
const MAX_ANSWER = 300;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The server's answer on one line, without a SASL payload, cut to {@link MAX_ANSWER}. */
function answerOf(response: string): string {
  const oneLine = response
    .replace(/\r?\n/g, ' ')
    .replace(/^(\d{3}) [A-Za-z0-9+/=]{40,}$/, '$1 [challenge]')
    .trim();
  return oneLine.length > MAX_ANSWER ? `${oneLine.slice(0, MAX_ANSWER)}…` : oneLine;
}

/** The code for a server answer, from its enhanced status code, words and reply class. */
function codeForAnswer(answer: string, replyCode: number, command: string): PluginErrorCode {
  if (/SmtpClientAuthentication is disabled/i.test(answer)) return 'ERR_SMTP_AUTH_DISABLED';
  if (/5\.2\.252|SendAsDenied|5\.7\.60/i.test(answer)) return 'ERR_SMTP_SENDER_REFUSED';
  if (replyCode >= 400 && replyCode < 500) return 'ERR_SMTP_TEMPORARY';
  if (/^AUTH\b/i.test(command) || replyCode === 535 || replyCode === 530 || /5\.7\.30\b/.test(answer))
    return 'ERR_SMTP_AUTH_FAILED';
  if (/^MAIL FROM/i.test(command)) return 'ERR_SMTP_SENDER_REFUSED';
  if (/^RCPT TO/i.test(command)) return 'ERR_SMTP_RECIPIENT_REFUSED';
  return 'ERR_SMTP_MESSAGE_REFUSED';
}

function socketCode(code: string, message: string): PluginErrorCode {
  if (isTlsModeError(code, message)) return 'ERR_MAIL_TLS_MODE';
  if (code === 'ECONNREFUSED') return 'ERR_MAIL_PORT_CLOSED';
  if (TIMEOUT_CODES.has(code)) return 'ERR_TIMEOUT';
  if (TLS_CODE.test(code) || TLS_TEXT.test(message)) return 'ERR_MAIL_TLS';
  return 'ERR_MAIL_UNAVAILABLE';
}

/**
 * Turns a nodemailer failure into a {@link PluginError}; a PluginError passes unchanged.
 * @param error - what nodemailer (or the XOAUTH2 handler) threw
 * @param operation - what was being done, for the admin: "send", "verify"
 */
export function toSmtpPluginError(error: unknown, operation: string): PluginError {
  if (error instanceof PluginError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as NodemailerErrorLike;
  const command = text(fields.command);
  const response = error instanceof XOAuth2Refused ? error.response : text(fields.response);
  const replyCode = typeof fields.responseCode === 'number' ? fields.responseCode : Number(/^\d{3}/.exec(response));
  const details: Record<string, string | number> = { operation };
  if (command) details.command = command.split(' ').slice(0, 2).join(' ');
  if (replyCode) details.smtpCode = replyCode;
  const enhanced = /\b[245]\.\d{1,3}\.\d{1,3}\b/.exec(response)?.[0];
  if (enhanced) details.enhancedCode = enhanced;
  if (error instanceof XOAuth2Refused && error.challenge?.status) details.challengeStatus = error.challenge.status;
  if (error instanceof XOAuth2Refused && error.challenge?.scope) details.challengeScope = error.challenge.scope;
  const cause = { cause: error };

  if (response && replyCode >= 400) {
    const answer = answerOf(response);
    const code = codeForAnswer(answer, replyCode, error instanceof XOAuth2Refused ? 'AUTH XOAUTH2' : command);
    return new PluginError(
      code,
      `The SMTP server answered "${answer}" (${operation}).`,
      details as ErrorDetails,
      cause,
    );
  }
  if (text(fields.code) === 'EENVELOPE' && Array.isArray(fields.rejected) && fields.rejected.length > 0) {
    const rejected = (fields.rejected as unknown[]).map(String);
    return new PluginError(
      'ERR_SMTP_RECIPIENT_REFUSED',
      `The SMTP server refused every recipient (${rejected.join(', ')}).`,
      { ...details, rejected },
      cause,
    );
  }
  const systemCode = text(fields.originalCode) || text(fields.code);
  const message = text(fields.message);
  const code = socketCode(systemCode, message);
  const what =
    code === 'ERR_MAIL_TLS'
      ? 'TLS with the SMTP server failed'
      : code === 'ERR_MAIL_TLS_MODE'
        ? 'The SMTP TLS mode does not match the port'
        : 'The SMTP server could not be reached';
  return new PluginError(code, `${what} (${operation}: ${systemCode || 'no code'}).`, details as ErrorDetails, cause);
}
