import { createHash } from 'node:crypto';
import { readHeader } from '../../../lib/mail-header';
import { legacyMessageKey, messageKey } from '../../../plugin/fetch/message-key';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('message key', () => {
  it('is the sha256 of the exact raw bytes', () => {
    const raw = Buffer.from('Message-ID: <abc@example.test>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nbody\r\n');
    expect(messageKey(raw)).toBe(sha(raw));
    expect(messageKey(raw)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the legacy rule (Message-ID + Date + size, whatever the header case and folding) for rows written under it', () => {
    const a = Buffer.from(
      'Subject: x\r\nmessage-id:\r\n <abc@example.test>\r\nDATE: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nbody\r\n',
    );
    expect(readHeader(a, 'Message-ID')).toBe('<abc@example.test>');
    expect(legacyMessageKey(a)).toBe(
      sha(`message-id:<abc@example.test>\ndate:Thu, 1 Jan 2026 10:00:00 +0000\nsize:${a.length}`),
    );
    const noId = Buffer.from('From: a@b\nSubject: bare LF, no id\n\nbody');
    expect(legacyMessageKey(noId)).toBe(sha(noId));
  });

  it('tells apart messages that share a Message-ID but differ in date or size', () => {
    const one = Buffer.from('Message-ID: <same@x>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nA\r\n');
    const otherDate = Buffer.from('Message-ID: <same@x>\r\nDate: Thu, 1 Jan 2026 11:00:00 +0000\r\n\r\nA\r\n');
    const otherSize = Buffer.from('Message-ID: <same@x>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nAB\r\n');
    expect(new Set([messageKey(one), messageKey(otherDate), messageKey(otherSize)]).size).toBe(3);
  });

  it('gives two different messages that share Message-ID, Date and size two different keys', () => {
    const head = 'Message-ID: <twin@x>\r\nDate: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\n';
    const genuine = Buffer.from(`${head}Pay to 111\r\n`);
    const forged = Buffer.from(`${head}Pay to 999\r\n`);
    expect(forged.length).toBe(genuine.length);
    expect(messageKey(forged)).not.toBe(messageKey(genuine));
  });

  it('hashes malformed and empty messages too', () => {
    const noId = Buffer.from('From: a@b\nSubject: bare LF, no id\n\nbody');
    expect(messageKey(noId)).toBe(sha(noId));
    const noSeparator = Buffer.from('just a line without a header\r\nanother\r\n');
    expect(messageKey(noSeparator)).toBe(sha(noSeparator));
    expect(messageKey(Buffer.alloc(0))).toBe(sha(Buffer.alloc(0)));
    const nul = Buffer.from('Message-ID: <n\u0000ul@x>\r\n\r\n\u0000\u0000', 'latin1');
    expect(messageKey(nul)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads headers from the header block only: a Message-ID in the body is none', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n');
    expect(readHeader(raw, 'message-id')).toBeNull();
    expect(legacyMessageKey(raw)).toBe(sha(raw));
  });
});
