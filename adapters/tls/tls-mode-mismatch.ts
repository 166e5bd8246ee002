/**
 * Telling "TLS spoken to a plain-text port (or the reverse)" and "nothing listens there" apart from a certificate
 * problem, for every mail protocol: the fix is the TLS mode or the port, not a CA.
 */
import type { PluginErrorCode } from '../../plugin/errors';

/** Where a session connected and with which TLS mode. */
export interface MailTransport {
  readonly port: number;
  readonly tls: 'implicit' | 'starttls' | 'none';
}

/** OpenSSL's words when one side speaks TLS and the other plain text ("wrong version number", "packet length"). */
const TLS_MODE_TEXT = /wrong version number|packet length too long|unknown protocol|http request/i;
const TLS_MODE_CODE = /^(?:ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|ERR_SSL_UNKNOWN_PROTOCOL)$/;
/** Ports where the server speaks TLS from the first byte (IMAPS, POP3S, SMTPS). */
const IMPLICIT_TLS_PORTS: ReadonlySet<number> = new Set([993, 995, 465]);

/** true when the socket error says one side spoke TLS and the other plain text. */
export function isTlsModeError(code: string, message: string): boolean {
  return TLS_MODE_CODE.test(code) || TLS_MODE_TEXT.test(message);
}

/**
 * ERR_MAIL_TLS_MODE or ERR_MAIL_PORT_CLOSED when what failed says so; null otherwise.
 * @param timedOut - whether the failure was a wait for the greeting that never ended (a plain-text client on a TLS port)
 */
export function transportMismatch(
  code: string,
  message: string,
  transport: MailTransport | undefined,
  timedOut: boolean,
): { code: PluginErrorCode; detail: string } | null {
  const mode = transport ? ` (TLS mode ${transport.tls}, port ${transport.port})` : '';
  if (isTlsModeError(code, message))
    return {
      code: 'ERR_MAIL_TLS_MODE',
      detail: `TLS was spoken to a port that answers in plain text${mode}: ${message}${code ? ` (${code})` : ''}`,
    };
  if (transport && transport.tls !== 'implicit' && IMPLICIT_TLS_PORTS.has(transport.port) && timedOut)
    return {
      code: 'ERR_MAIL_TLS_MODE',
      detail: `No greeting in plain text from port ${transport.port}, which usually speaks implicit TLS${mode}.`,
    };
  if (code === 'ECONNREFUSED') {
    const where = transport ? ` on port ${transport.port}` : '';
    return { code: 'ERR_MAIL_PORT_CLOSED', detail: `The mail server refused the connection${where} (ECONNREFUSED).` };
  }
  return null;
}
