/**
 * Where the sign-in form may send the browser afterwards (`?next=` of GET /login, the form's `next` field): a path on
 * the helpdesk itself, judged as a browser reads it. Browsers drop TAB, CR and LF from a URL and take `\` for `/`, so
 * `/<TAB>/evil` and `/\evil` are `//evil`, another host; a prefix check on the raw text cannot see that.
 */

/** Longer than any link the helpdesk makes; a longer `next` is refused rather than parsed. */
export const MAX_NEXT_LENGTH = 2048;

/** C0 controls, DEL and C1 controls (Unicode category Cc): refused outright, whatever a parser would make of them. */
const CONTROL_CHARACTERS = /\p{Cc}/u;

/**
 * The path to go to after sign-in, or undefined when `value` is not a path on `origin`.
 *
 * Only a path (`/…`) is accepted, never a URL with a scheme; it is parsed with the WHATWG URL parser against the
 * helpdesk's origin, the result must keep that origin, and what is returned is the parser's own serialization
 * (percent-encoded, dot segments resolved), parsed once more to make sure it still means the same URL.
 * @param value - the submitted `next`
 * @param origin - the helpdesk's own origin (or its public base URL)
 * @example
 * safeNext('/tickets?page=2', 'http://127.0.0.1:3000'); // '/tickets?page=2'
 * safeNext('/\t/evil.example/', 'http://127.0.0.1:3000'); // undefined
 */
export function safeNext(value: unknown, origin: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NEXT_LENGTH) return undefined;
  if (CONTROL_CHARACTERS.test(value) || !value.startsWith('/')) return undefined;
  try {
    const base = new URL(origin);
    const url = new URL(value, base);
    if (url.origin !== base.origin) return undefined;
    const path = `${url.pathname}${url.search}${url.hash}`;
    // `/.//evil` parses to the path `//evil`, which a browser reads as another host.
    return new URL(path, base).href === url.href ? path : undefined;
  } catch {
    return undefined;
  }
}
