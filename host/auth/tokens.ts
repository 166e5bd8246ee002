/** Random tokens and constant-time comparison for sessions and CSRF. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A URL-safe random token.
 * @param bytes - entropy in bytes (default 32)
 */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * sha256 of a string, hex.
 * @param value - the input
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Compares two strings in constant time (also when their lengths differ).
 * @param a - one value (e.g. the submitted token)
 * @param b - the other (e.g. the expected token)
 */
export function safeEqual(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
