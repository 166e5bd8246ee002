/** Message-IDs for outgoing mail: `<random@domain of the From address>`, made once at commit. */
import { randomBytes } from 'node:crypto';

/** The domain used when the From address has none the header may carry. */
export const FALLBACK_MESSAGE_ID_DOMAIN = 'helpdesk.invalid';

const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The domain of a From address (`Name <user@example.com>` or `user@example.com`), lower case; the fallback when it
 * has none that is a plain DNS name.
 * @param from - the From address
 */
export function messageIdDomain(from: string): string {
  const address = /<([^<>]*)>\s*$/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf('@');
  const domain =
    at >= 0
      ? address
          .slice(at + 1)
          .trim()
          .toLowerCase()
      : '';
  return domain.length > 0 && domain.length <= 200 && DOMAIN.test(domain) ? domain : FALLBACK_MESSAGE_ID_DOMAIN;
}

/**
 * A new Message-ID, angle brackets included: 128 random bits at the From address's domain.
 * @param from - the From address
 * @param random - source of random bytes (tests)
 */
export function newMessageId(from: string, random: (size: number) => Buffer = randomBytes): string {
  return `<${random(16).toString('hex')}@${messageIdDomain(from)}>`;
}
