/**
 * SASL XOAUTH2 over POP3 (RFC 5034 `AUTH`). Microsoft access tokens are JWTs of 1.5-3 KB while a POP3 command line
 * is bounded (255 octets, RFC 2449 §4; Office 365 and Dovecot refuse longer ones), so a long initial response is
 * sent as the answer to the server's empty `+` continuation instead of on the AUTH line. An error challenge
 * (`+ <base64 JSON>`) is answered with an empty line (RFC 7628 §3.2.3), so the server ends with its `-ERR`.
 */
import { xoauth2InitialResponse } from '../smtp/xoauth2-authentication';
import { Pop3AuthRefused } from './pop3-error-mapper';
import type { Pop3Wire } from './pop3-wire';

/** RFC 2449 §4: a command line is at most 255 octets including CRLF. */
const MAX_COMMAND_LINE = 253;

function decodeChallenge(text: string): Readonly<Record<string, unknown>> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Logs `user` in with `accessToken`.
 * @param wire - a connection in the AUTHORIZATION state whose CAPA offered SASL XOAUTH2
 * @throws Pop3AuthRefused when the server refuses (the token never appears in it)
 */
export async function authenticateXOAuth2(wire: Pop3Wire, user: string, accessToken: string): Promise<void> {
  const initial = xoauth2InitialResponse(user, accessToken);
  const inline = `AUTH XOAUTH2 ${initial}`;
  if (inline.length <= MAX_COMMAND_LINE) {
    wire.write(inline);
  } else {
    wire.write('AUTH XOAUTH2');
    const ready = await wire.readReply();
    if (ready.kind === 'err') throw new Pop3AuthRefused(ready.text, null);
    if (ready.kind === 'ok') throw new Pop3AuthRefused('the server accepted AUTH without credentials', null);
    wire.write(initial);
  }
  let challenge: Readonly<Record<string, unknown>> | null = null;
  for (let round = 0; ; round += 1) {
    const reply = await wire.readReply();
    if (reply.kind === 'ok') return;
    if (reply.kind === 'err') throw new Pop3AuthRefused(reply.text, challenge);
    if (round >= 2) throw new Pop3AuthRefused('the SASL exchange did not end', challenge);
    if (round > 0) {
      // A second challenge after our empty answer: end the exchange (RFC 5034 §4: "*" cancels it).
      wire.write('*');
      continue;
    }
    challenge = decodeChallenge(reply.text);
    wire.write('');
  }
}
