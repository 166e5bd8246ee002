/**
 * The message key (docs/architecture.md#oauth2_mail_deliveries): what identifies one message across UIDVALIDITY
 * changes and folders, so a rescan never makes a second ticket, and what keeps two different messages apart.
 */
import { createHash } from 'node:crypto';
import { readHeader } from '../../lib/mail-header';
import type { MessageLocation } from '../ports/mail-ledger';

/**
 * The message key: sha256 (hex) of the exact raw bytes.
 *
 * Why this rule is safe: the key is a digest of everything the message is, so two messages share a key only if
 * they are byte for byte the same message (or sha256 collides). The earlier rule (Message-ID + Date + size,
 * {@link legacyMessageKey}) let a sender forge a second message with the same three values, which was then taken
 * for the first and never became a ticket. A rescan after a UIDVALIDITY change still recognises a message,
 * because the server serves the same bytes for it under the new UIDVALIDITY; a server that rewrote a message's
 * bytes would make a second ticket of it, never lose one.
 * @param raw - the exact bytes fetched from the server
 * @returns 64 lowercase hex characters
 * @example
 * messageKey(Buffer.from('Message-ID: <a@b>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhi'))
 */
export function messageKey(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * The key of the rule used before the `message_key_rule` migration: sha256 (hex) of Message-ID + Date + size, or
 * of the raw bytes when the message has no Message-ID. Only computed to recognise rows written under that rule
 * (MailLedger `findIngestedByLegacyKey`), never written for a new row.
 * @param raw - the exact bytes fetched from the server
 * @returns 64 lowercase hex characters
 */
export function legacyMessageKey(raw: Buffer): string {
  const messageId = readHeader(raw, 'message-id');
  if (!messageId) return createHash('sha256').update(raw).digest('hex');
  const date = readHeader(raw, 'date') ?? '';
  return createHash('sha256')
    .update(`message-id:${messageId}\ndate:${date}\nsize:${raw.length}`, 'latin1')
    .digest('hex');
}

/**
 * The key of a message that was never downloaded (left on the server for its size): unique per location.
 * @param location - where it is: folder, UIDVALIDITY and UID (IMAP), or UIDL (POP3)
 * @param size - the size the server listed
 */
export function undownloadedMessageKey(
  location: Pick<MessageLocation, 'folder' | 'uidValidity' | 'uid' | 'uidl'>,
  size: number,
): string {
  const where = `${location.folder}:${location.uidValidity}:${location.uid}${location.uidl ? `:${location.uidl}` : ''}`;
  return createHash('sha256').update(`undownloaded:${where}:${size}`).digest('hex');
}
