/**
 * Who signed in, from ID token or userinfo claims, and whether that identity is the mailbox. Synchronized
 * (hybrid) Microsoft accounts often carry a UPN that is not the mail address, so every address is collected.
 */
import { hasHiddenCharacters, visibleText } from '../../lib/visible-text';

/** The identity a sign-in produced. */
export interface AuthorizedIdentity {
  /** What to show the admin ("signed in as …"): the email, else the UPN, else the subject. */
  readonly display: string;
  /** Every address the identity carries, lower case, unique. */
  readonly addresses: readonly string[];
}

const ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** A claim's addresses; one with a hidden character (a mailbox never has one) is no address. */
function addressesIn(value: unknown): string[] {
  if (typeof value === 'string') {
    const address = value.trim();
    return ADDRESS.test(address) && !hasHiddenCharacters(address) ? [address.toLowerCase()] : [];
  }
  if (Array.isArray(value)) return value.flatMap(addressesIn);
  return [];
}

/**
 * Collects the addresses of an identity: `email` (unless `email_verified` is false), `preferred_username`,
 * `upn`, `unique_name`, Entra's optional `verified_primary_email` / `verified_secondary_email`, and `emails`.
 * @param claims - ID token payload or userinfo answer
 */
export function identityFromClaims(claims: Readonly<Record<string, unknown>>): AuthorizedIdentity {
  const emailTrusted = claims.email_verified !== false && claims.email_verified !== 'false';
  const ordered = [
    ...(emailTrusted ? addressesIn(claims.email) : []),
    ...addressesIn(claims.preferred_username),
    ...addressesIn(claims.upn),
    ...addressesIn(claims.unique_name),
    ...addressesIn(claims.verified_primary_email),
    ...addressesIn(claims.verified_secondary_email),
    ...addressesIn(claims.emails),
  ];
  const addresses = [...new Set(ordered)];
  const fallback =
    typeof claims.preferred_username === 'string'
      ? claims.preferred_username
      : typeof claims.sub === 'string'
        ? `subject ${claims.sub}`
        : 'an unknown account';
  // The display comes from the provider and is stored as the status line: hidden characters are shown, not obeyed.
  return { display: visibleText(addresses[0] ?? fallback), addresses };
}

/** True when one of the identity's addresses is the mailbox (case-insensitive). */
export function identityOwnsMailbox(identity: AuthorizedIdentity, mailbox: string): boolean {
  return identity.addresses.includes(mailbox.trim().toLowerCase());
}

/**
 * The status line of a connected account: who signed in, and for which mailbox when that is someone else.
 * @param authorizedIdentity - the identity that signed in, if known
 * @param mailbox - the account's mailbox
 */
export function connectedDetail(authorizedIdentity: string | null, mailbox: string): string {
  if (!authorizedIdentity) return `Connected to mailbox ${mailbox}.`;
  if (authorizedIdentity.toLowerCase() === mailbox.trim().toLowerCase()) return `Signed in as ${authorizedIdentity}.`;
  return `Signed in as ${authorizedIdentity} for mailbox ${mailbox}.`;
}
