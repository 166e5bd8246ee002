/** Random values of one authorization request: `state` (only its hash is stored), the PKCE S256 pair (RFC 7636) and the OIDC nonce. */
import { createHash, randomBytes } from 'node:crypto';

/** The sha256 (hex) under which a `state` is stored and looked up. */
export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

/** A fresh `state`: 32 random bytes, base64url. */
export function createState(): { readonly state: string; readonly stateHash: string } {
  const state = randomBytes(32).toString('base64url');
  return { state, stateHash: hashState(state) };
}

/** The S256 challenge of a verifier: BASE64URL(SHA256(verifier)). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh PKCE pair: a 43-character verifier from 32 random bytes and its S256 challenge. */
export function createPkce(): { readonly verifier: string; readonly challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

/** A fresh OIDC nonce. */
export function createNonce(): string {
  return randomBytes(16).toString('base64url');
}
