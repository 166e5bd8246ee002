/**
 * The client assertion of a certificate credential (RFC 7523 §2.2, Entra's "certificate credentials",
 * docs/providers.md#certificate-credentials), made with jose: header `alg` RS256 or PS256, `typ` JWT, `x5t#S256`
 * (and `x5t` for Entra); claims `aud` = the token endpoint, `iss` = `sub` = the client id, a fresh `jti`, `nbf` /
 * `iat` now and `exp` ten minutes later. One assertion per request.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AssertionAlgorithm } from '../ports/app-repository';
import { readClientCertificate, readRsaPrivateKey } from './client-certificate';

/** How long an assertion is valid: the longest Entra's guidance allows. */
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 600;

/** What an assertion is made from. */
export interface ClientAssertionInput {
  readonly clientId: string;
  /** The endpoint it is sent to (the token endpoint). */
  readonly audience: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly algorithm: AssertionAlgorithm;
  /** Also send the SHA-1 thumbprint `x5t` (Entra reads it; the current documentation shows `x5t#S256`). */
  readonly sha1Thumbprint: boolean;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * Signs a client assertion.
 * @returns the compact JWT
 * @throws PluginError ERR_INPUT_INVALID when the stored certificate or key cannot be read
 */
export async function createClientAssertion(input: ClientAssertionInput): Promise<string> {
  const certificate = readClientCertificate(input.certificatePem);
  const key = readRsaPrivateKey(input.privateKeyPem);
  const now = Math.floor(input.now / 1000);
  return new SignJWT({})
    .setProtectedHeader({
      alg: input.algorithm,
      typ: 'JWT',
      'x5t#S256': certificate.sha256Thumbprint,
      ...(input.sha1Thumbprint ? { x5t: certificate.sha1Thumbprint } : {}),
    })
    .setAudience(input.audience)
    .setIssuer(input.clientId)
    .setSubject(input.clientId)
    .setJti(randomUUID())
    .setNotBefore(now)
    .setIssuedAt(now)
    .setExpirationTime(now + CLIENT_ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}
