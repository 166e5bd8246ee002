/**
 * The JWT bearer grant's assertion for a Google service account with domain-wide delegation
 * (docs/providers.md#google-service-accounts), made with jose: header RS256 with `kid` = the key file's
 * `private_key_id`; claims `iss` = `client_email`, `sub` = the mailbox to act for, `scope`, `aud` = the token URL,
 * `iat` now and `exp` one hour later (Google's limit).
 */
import { SignJWT } from 'jose';
import { readRsaPrivateKey } from './client-certificate';

/** Google refuses assertions valid for longer than an hour. */
export const SERVICE_ACCOUNT_ASSERTION_LIFETIME_SECONDS = 3600;

/** What the assertion is made from. */
export interface ServiceAccountAssertionInput {
  readonly email: string;
  readonly keyId: string | null;
  readonly privateKeyPem: string;
  /** The user whose mailbox the token is for. */
  readonly subject: string;
  readonly scope: string;
  /** The token URL the assertion is sent to. */
  readonly audience: string;
  /** Epoch ms. */
  readonly now: number;
}

/** Signs the assertion. @returns the compact JWT */
export async function createServiceAccountAssertion(input: ServiceAccountAssertionInput): Promise<string> {
  const now = Math.floor(input.now / 1000);
  return new SignJWT({ scope: input.scope })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(input.keyId ? { kid: input.keyId } : {}) })
    .setIssuer(input.email)
    .setSubject(input.subject)
    .setAudience(input.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + SERVICE_ACCOUNT_ASSERTION_LIFETIME_SECONDS)
    .sign(readRsaPrivateKey(input.privateKeyPem, 'serviceAccountKey'));
}
