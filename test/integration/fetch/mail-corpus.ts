/** The .eml corpus of fixtures/mail plus the messages generated at test time (too big to commit). */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One corpus message. */
export interface CorpusMessage {
  readonly name: string;
  readonly raw: Buffer;
}

const CORPUS_DIR = join(__dirname, '..', '..', '..', 'fixtures', 'mail');

/** The committed .eml files, in name order. */
export function committedCorpus(): CorpusMessage[] {
  return readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => ({ name, raw: readFileSync(join(CORPUS_DIR, name)) }));
}

/** A message of about `megabytes` MB: a base64 attachment of pseudo-random bytes, CRLF lines of 76 characters. */
export function largeMessage(megabytes: number, id = 'large'): CorpusMessage {
  const size = Math.round(megabytes * 1024 * 1024 * 0.75);
  const data = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = `Message-ID: <${id}@example.test>\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nFrom: big@example.test\r\nTo: help@example.test\r\nSubject: ${megabytes} MB attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="blob.bin"\r\n\r\n`;
  return { name: `${id}.eml`, raw: Buffer.concat([Buffer.from(head), Buffer.from(b64), Buffer.from('\r\n--b--\r\n')]) };
}

/** A message whose body is one 200 KB line. */
export function longLineMessage(): CorpusMessage {
  const line = 'L'.repeat(200 * 1024);
  return {
    name: 'long-line.eml',
    raw: Buffer.from(
      `Message-ID: <long-line@example.test>\r\nDate: Thu, 01 Jan 2026 10:05:00 +0000\r\nFrom: long@example.test\r\nSubject: one 200 KB line\r\n\r\n${line}\r\n`,
    ),
  };
}

/** The committed corpus plus a 200 KB line and a `megabytes` MB message. */
export function fullCorpus(megabytes = 3): CorpusMessage[] {
  return [...committedCorpus(), longLineMessage(), largeMessage(megabytes)];
}

/** A small unique message (for volume tests). */
export function numberedMessage(n: number, tag = 'bulk'): CorpusMessage {
  return {
    name: `${tag}-${n}.eml`,
    raw: Buffer.from(
      `Message-ID: <${tag}-${n}@example.test>\r\nDate: Thu, 01 Jan 2026 11:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} +0000\r\nFrom: sender${n}@example.test\r\nTo: help@example.test\r\nSubject: ${tag} message ${n}\r\n\r\nBody of ${tag} message ${n}.\r\n`,
    ),
  };
}

/**
 * The bytes Dovecot 2.3 serves for a seeded Maildir file: NUL bytes come back as 0x80 (its "no NULs"
 * input stream), bare LF as CRLF; everything else byte for byte. Measured by the IMAP adapter test.
 */
export function servedByDovecot(raw: Buffer): Buffer {
  const noNul = Buffer.from(raw.map((byte) => (byte === 0 ? 0x80 : byte)));
  return Buffer.from(noNul.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/**
 * The bytes Dovecot 2.3's POP3 serves for a seeded Maildir file: bare LF as CRLF, NUL bytes as stored, and a CRLF
 * after a last line without one (an empty message is one empty line): RETR's reply ends with CRLF.CRLF.
 */
export function servedOverPop3(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  return Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1');
}

/** sha256 hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
