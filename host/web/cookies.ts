/**
 * Cookie parsing and Set-Cookie serialization. (@fastify/cookie loads the ESM-only `cookie` package
 * with a dynamic import(), which the jest CommonJS VM cannot run on Node 20, so the host keeps these
 * few lines itself; the host only ever sets base64url tokens.)
 */

/** Attributes of a Set-Cookie header. */
export interface CookieOptions {
  readonly path: string;
  readonly httpOnly?: boolean;
  readonly sameSite?: 'Lax' | 'Strict';
  readonly secure?: boolean;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge?: number;
}

const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[!#$%&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]*$/;

/**
 * Parses a Cookie request header; the first of repeated names wins, undecodable values are skipped.
 * @param header - the `cookie` header
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!NAME.test(name) || name in cookies) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      // A malformed cookie from the browser is ignored, not fatal.
    }
  }
  return cookies;
}

/**
 * A Set-Cookie header value.
 * @param name - cookie name
 * @param value - cookie value (only cookie-safe characters)
 * @param options - attributes
 * @throws TypeError for an unsafe name or value (a header injection attempt)
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!NAME.test(name)) throw new TypeError(`Cookie name ${name} is not valid`);
  if (!VALUE.test(value)) throw new TypeError(`The value of cookie ${name} holds characters a cookie cannot carry`);
  const parts = [`${name}=${value}`, `Path=${options.path}`];
  if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.floor(options.maxAge)}`);
    if (options.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}
