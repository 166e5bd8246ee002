/** The fields of a mail account as a form or the console sends them (strings), validated with zod. */
import { z } from 'zod';
import { hasHiddenCharacters } from '../../lib/visible-text';
import { blankToUndefined, toBoolean } from '../oauth/validation';
import type { MailAccount } from '../ports/account-repository';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAILBOX = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
// eslint-disable-next-line no-control-regex -- folder names must not smuggle control characters into IMAP commands
const CONTROL = /[\x00-\x1f\x7f]/;

/** A mail address field: bounded, no hidden characters, local@domain. */
const mailAddress = (text: z.ZodString) =>
  text
    .trim()
    .max(320, 'must be at most 320 characters')
    .refine(
      (address) => !hasHiddenCharacters(address),
      'must not contain control, format or bidirectional characters (such as U+202E or a zero-width space)',
    )
    .regex(MAILBOX, 'must be a mail address such as support@example.com');

const integer = (min: number, max: number, message: string) =>
  z.preprocess(
    (value) => {
      const blank = blankToUndefined(value);
      return typeof blank === 'string' && /^\s*\d+\s*$/.test(blank) ? Number(blank) : blank;
    },
    z.number({ error: message }).int(message).min(min, message).max(max, message).optional(),
  );

/** A mail server's host (IMAP / POP3 or SMTP); blank: the provider's default. */
const optionalHost = () =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((host) => HOSTNAME.test(host) || IPV4.test(host), 'must be a host name or an IPv4 address')
      .optional(),
  );

/** A TLS mode (mail server or SMTP); blank: the default for the port. */
const optionalTlsMode = () =>
  z.preprocess(
    blankToUndefined,
    z.enum(['implicit', 'starttls', 'none'], { error: 'must be implicit, starttls or none' }).optional(),
  );

/** The raw account fields. Defaults that depend on the app (host, port, TLS) are filled in by the account service. */
export const AccountFields = z.object({
  appId: z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : blankToUndefined(value)),
    z.string({ error: 'is required' }).trim().min(1, 'is required').max(64),
  ),
  authMode: z.preprocess(
    (value) => (typeof value === 'string' ? blankToUndefined(value.trim().replace(/-/g, '_')) : value),
    z
      .enum(['delegated', 'app_only', 'service_account'], {
        error: 'must be delegated, app-only or service-account',
      })
      .default('delegated'),
  ),
  mailbox: z.preprocess(blankToUndefined, mailAddress(z.string({ error: 'is required' }))),
  protocol: z.preprocess(
    (value) => (typeof value === 'string' ? blankToUndefined(value.trim().toLowerCase()) : value),
    z.enum(['imap', 'pop3'], { error: 'must be imap or pop3' }).default('imap'),
  ),
  host: optionalHost(),
  port: integer(1, 65535, 'must be a port number between 1 and 65535'),
  tls: optionalTlsMode(),
  folder: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .min(1)
      .max(255, 'must be at most 255 characters')
      .refine((folder) => !CONTROL.test(folder), 'must not contain control characters')
      // Default by protocol (plugin/accounts/protocol-settings.ts).
      .optional(),
  ),
  initialSync: z.preprocess(
    blankToUndefined,
    z.enum(['unseen', 'all', 'new_only'], { error: 'must be unseen, all or new_only' }).optional(),
  ),
  postFetch: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine(
        (action) =>
          ['mark_seen', 'keep', 'delete'].includes(action) || (/^move:.{1,255}$/.test(action) && !CONTROL.test(action)),
        'must be mark_seen, keep, delete or move:FOLDER',
      )
      .optional(),
  ),
  pollIntervalSeconds: integer(10, 86_400, 'must be a number of seconds between 10 and 86400'),
  sharedViaDelegate: z.preprocess(toBoolean, z.boolean({ error: 'must be true or false' }).default(false)),
  smtpEnabled: z.preprocess(toBoolean, z.boolean({ error: 'must be true or false' }).default(false)),
  smtpHost: optionalHost(),
  smtpPort: integer(1, 65535, 'must be a port number between 1 and 65535'),
  smtpTls: optionalTlsMode(),
  smtpFrom: z.preprocess(blankToUndefined, mailAddress(z.string()).optional()),
  enabled: z.preprocess(toBoolean, z.boolean({ error: 'must be true or false' }).default(true)),
});

/** Parsed account fields. */
export type AccountFieldsOutput = z.output<typeof AccountFields>;

/**
 * A stored account as the raw fields {@link AccountFields} reads: what a partial update (the console's
 * `account update`) starts from, so a field left out keeps its value.
 * @param account - the account as stored
 */
export function storedAccountFields(account: MailAccount) {
  return {
    appId: account.appId,
    mailbox: account.mailbox,
    authMode: account.authMode,
    protocol: account.protocol,
    host: account.host,
    port: String(account.port),
    tls: account.tls,
    folder: account.folder,
    initialSync: account.initialSync,
    postFetch: account.postFetch,
    pollIntervalSeconds: String(account.pollIntervalSeconds),
    sharedViaDelegate: String(account.sharedViaDelegate),
    enabled: String(account.enabled),
    smtpEnabled: String(account.smtp.enabled),
    smtpHost: account.smtp.host ?? '',
    smtpPort: account.smtp.port === null ? '' : String(account.smtp.port),
    smtpTls: account.smtp.tls ?? '',
    smtpFrom: account.smtp.from ?? '',
  };
}
