// Access tokens as long as Microsoft's (JWTs of 1.5-3 KB), for the SMTP AUTH line-length path: oidc-provider's
// opaque tokens are 43 characters, so each issued token gets a '.'-separated padding, and the endpoints that read a
// token (introspection by Dovecot, revocation, userinfo) drop it again before oidc-provider sees the token.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const SEPARATOR = '.';

/** The token padded to `length` characters (deterministic, so the same token always pads the same way). */
export function padAccessToken(token: string, length: number): string {
  if (token.length + 1 >= length) return token;
  let padding = '';
  for (let block = 0; padding.length < length - token.length - 1; block++) {
    padding += createHash('sha256').update(`${token}:${block}`).digest('base64url');
  }
  return `${token}${SEPARATOR}${padding.slice(0, length - token.length - 1)}`;
}

/** The token oidc-provider issued, without the padding. */
export function unpadAccessToken(token: string): string {
  const at = token.indexOf(SEPARATOR);
  return at === -1 ? token : token.slice(0, at);
}

/** Drops the padding of a bearer token in the Authorization header (userinfo). */
export function unpadBearerHeader(req: IncomingMessage): void {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Bearer /i.test(header)) {
    req.headers.authorization = `Bearer ${unpadAccessToken(header.slice(7).trim())}`;
  }
}

/** Rewrites the JSON token answer oidc-provider writes to `res`, padding its access_token to `length`. */
export function padTokenAnswers(res: ServerResponse, length: number): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = ((chunk: unknown) => {
    if (chunk !== undefined && chunk !== null) chunks.push(Buffer.from(chunk as Buffer | string));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function')
      chunks.push(Buffer.from(chunk as Buffer | string));
    let body = Buffer.concat(chunks);
    try {
      const answer = JSON.parse(body.toString('utf8')) as { access_token?: unknown };
      if (typeof answer.access_token === 'string') {
        answer.access_token = padAccessToken(answer.access_token, length);
        body = Buffer.from(JSON.stringify(answer));
      }
    } catch {
      // not JSON (an error page): passed on as it is
    }
    if (!res.headersSent) res.setHeader('content-length', String(body.length));
    write(body);
    return end();
  }) as typeof res.end;
}
