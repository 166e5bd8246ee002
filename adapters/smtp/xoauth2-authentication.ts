/**
 * SASL XOAUTH2 for nodemailer as a custom authentication handler. nodemailer's own XOAUTH2 always sends the token
 * in the AUTH line (`AUTH XOAUTH2 <initial response>`); Microsoft access tokens are JWTs of 1.5-3 KB, and servers
 * bound that line (Dovecot's submission answers `500 5.5.2 Line too long` above 1,024 bytes). So a long initial
 * response goes as the answer to the server's `334` instead (RFC 4954 §4), and an error challenge is answered with
 * an empty line as RFC 7628 §3.2.3 asks, so the server ends the exchange with its final answer.
 */
import type { CustomAuthenticationContext, CustomAuthenticationResponse } from 'nodemailer/lib/smtp-connection';

/** RFC 5321's command line limit (512 octets with CRLF): anything longer goes as a continuation. */
const MAX_INITIAL_RESPONSE_LINE = 510;

/** The RFC 7628-style JSON a server puts in an XOAUTH2 error challenge (Google, Microsoft). */
export interface XOAuth2Challenge {
  readonly status?: string;
  readonly schemes?: string;
  readonly scope?: string;
}

/** The failure of an XOAUTH2 exchange: the server's final answer, and the challenge it sent before, if any. */
export class XOAuth2Refused extends Error {
  /**
   * @param response - the server's final answer (never contains the token: servers do not echo it)
   * @param challenge - the decoded error challenge
   */
  constructor(
    readonly response: string,
    readonly challenge: XOAuth2Challenge | null,
  ) {
    super(`XOAUTH2 refused: ${response}`);
    this.name = 'XOAuth2Refused';
  }
}

/** The SASL XOAUTH2 initial client response, base64 (`user=<user>^Aauth=Bearer <token>^A^A`). */
export function xoauth2InitialResponse(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');
}

function decodeChallenge(text: string): XOAuth2Challenge | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as XOAuth2Challenge) : null;
  } catch {
    return null;
  }
}

/** The reply's code; nodemailer leaves it 0 for a bare `334` without the space its parser expects. */
function statusOf(reply: CustomAuthenticationResponse): number {
  return reply.status || Number(/^\d{3}/.exec(reply.response)?.[0] ?? 0);
}

/**
 * A nodemailer `customAuth` handler for `XOAUTH2` that logs `user` in with `accessToken`.
 * @param user - the SASL user
 * @param accessToken - the bearer token; only ever written to the socket, never into an error
 */
export function xoauth2Authentication(user: string, accessToken: string) {
  return async (ctx: CustomAuthenticationContext): Promise<void> => {
    const initial = xoauth2InitialResponse(user, accessToken);
    const fits = `AUTH XOAUTH2 ${initial}`.length <= MAX_INITIAL_RESPONSE_LINE;
    let reply = await ctx.sendCommand(fits ? `AUTH XOAUTH2 ${initial}` : 'AUTH XOAUTH2');
    if (!fits && statusOf(reply) === 334) reply = await ctx.sendCommand(initial);
    let challenge: XOAuth2Challenge | null = null;
    if (statusOf(reply) === 334) {
      challenge = decodeChallenge(reply.text);
      reply = await ctx.sendCommand('');
    }
    if (statusOf(reply) === 235) return;
    throw new XOAuth2Refused(reply.response, challenge);
  };
}
