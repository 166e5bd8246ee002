/** Password hashing with node:crypto scrypt; stored as `scrypt$N$r$p$<salt>$<hash>` (base64url). */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;

/** A stored hash, read. */
interface StoredHash {
  readonly options: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Stands in for a missing or unreadable hash, so that checking against it costs what a real check costs. */
const STAND_IN: StoredHash = {
  options: { N, r: R, p: P },
  salt: randomBytes(SALT_BYTES),
  hash: randomBytes(KEY_LENGTH),
};

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Whole number in [min, max]. */
function between(text: string | undefined, min: number, max: number): number | undefined {
  const value = Number(text);
  return /^\d+$/.test(text ?? '') && value >= min && value <= max ? value : undefined;
}

/** The hash, or undefined when it is not one {@link hashPassword} could have made (cost parameters in bounds). */
function readStored(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  const cost = between(n, 1024, 1 << 20);
  const blockSize = between(r, 1, 32);
  const parallelization = between(p, 1, 16);
  if (scheme !== 'scrypt' || rest.length > 0 || !cost || !blockSize || !parallelization) return undefined;
  if ((cost & (cost - 1)) !== 0 || salt === undefined || hash === undefined) return undefined;
  const hashBytes = Buffer.from(hash, 'base64url');
  if (hashBytes.length !== KEY_LENGTH) return undefined;
  return {
    options: { N: cost, r: blockSize, p: parallelization },
    salt: Buffer.from(salt, 'base64url'),
    hash: hashBytes,
  };
}

/**
 * Hashes a password with a fresh random salt.
 * @param password - the plaintext password
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Checks a password against a stored hash in constant time. A missing (unknown user) or unreadable hash costs the
 * same one derivation as a real check, so the answer time does not tell which users exist.
 * @param password - what the user typed
 * @param stored - from {@link hashPassword}; undefined for a user that does not exist
 * @returns false for a wrong password, a missing or an unreadable hash
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const read = stored === undefined ? undefined : readStored(stored);
  const target = read ?? STAND_IN;
  const key = await derive(password, target.salt, {
    ...target.options,
    maxmem: 256 * target.options.N * target.options.r,
  });
  return read !== undefined && timingSafeEqual(target.hash, key);
}
