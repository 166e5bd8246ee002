/** Generated mail for the bench: deterministic, so every run seeds the same bytes. */
import { largeMessage, numberedMessage } from '../integration/fetch/mail-corpus';

const WORDS = [
  'ticket',
  'invoice',
  'printer',
  'password',
  'reset',
  'urgent',
  'please',
  'help',
  'server',
  'account',
  'order',
  'delivery',
  'refund',
  'meeting',
  'report',
  'error',
];

/** xorshift32: a cheap deterministic stream of numbers from a seed. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/**
 * A realistic helpdesk message of 5-20 KB: text body of 76-character CRLF lines, every third one with a small
 * base64 attachment, a unique Message-ID.
 * @param n - its number (seeds the size and the text)
 * @param tag - distinguishes sets (part of the Message-ID)
 */
export function benchMessage(n: number, tag: string): Buffer {
  const random = xorshift(n * 7919 + 17);
  const target = 5 * 1024 + Math.floor(random() * 15 * 1024);
  const head = [
    `Message-ID: <${tag}-${n}@bench.example.test>`,
    `Date: Thu, 01 Jan 2026 ${String(8 + (n % 10)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:${String((n * 7) % 60).padStart(2, '0')} +0000`,
    `From: Customer ${n} <customer${n}@example.test>`,
    'To: help@example.test',
    `Subject: ${WORDS[n % WORDS.length]} request ${n}`,
    'MIME-Version: 1.0',
  ];
  const text: string[] = [];
  const attach = n % 3 === 0;
  const textBudget = attach ? Math.floor(target / 2) : target;
  let size = 0;
  while (size < textBudget) {
    let line = '';
    while (line.length < 70) line += `${WORDS[Math.floor(random() * WORDS.length)]} `;
    text.push(line.trimEnd());
    size += line.length + 2;
  }
  if (!attach) {
    return Buffer.from(
      `${head.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text.join('\r\n')}\r\n`,
    );
  }
  const blob = Buffer.alloc(Math.floor((target - textBudget) * 0.75));
  for (let i = 0; i < blob.length; i++) blob[i] = Math.floor(random() * 256);
  const b64 = blob.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `${head.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="b${n}"\r\n\r\n--b${n}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text.join('\r\n')}\r\n` +
      `--b${n}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="log-${n}.bin"\r\n\r\n${b64}\r\n--b${n}--\r\n`,
  );
}

/**
 * `count` messages of 5-20 KB.
 * @param count - how many
 * @param tag - distinguishes sets
 */
export function benchMessages(count: number, tag: string): Buffer[] {
  return Array.from({ length: count }, (_, i) => benchMessage(i + 1, tag));
}

/**
 * `count` small messages (about 200 bytes each) for the memory-flatness run.
 * @param count - how many
 * @param tag - distinguishes sets
 */
export function smallMessages(count: number, tag: string): Buffer[] {
  return Array.from({ length: count }, (_, i) => numberedMessage(i + 1, tag).raw);
}

/**
 * One message of about `megabytes` MB (a base64 attachment of pseudo-random bytes).
 * @param megabytes - the encoded size in MiB, roughly
 */
export function bigMessage(megabytes: number): Buffer {
  return largeMessage(megabytes, `bench-${megabytes}mb`).raw;
}
