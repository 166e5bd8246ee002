/** The outbox's small rules: reply subject and threading, Message-ID domains, the backoff, lease owner ids. */
import { isDeadLocalOwner, newLeaseOwner, parseLeaseOwner } from '../../../host/outbox/lease-owner';
import { FALLBACK_MESSAGE_ID_DOMAIN, messageIdDomain, newMessageId } from '../../../host/outbox/message-id';
import { normalizeNewlines, replyReferences, replySubject } from '../../../host/outbox/reply-draft';
import { DEFAULT_RETRY_POLICY, retryDelayMs, shouldRetry } from '../../../host/outbox/retry-policy';

test('the reply subject gets one "Re:" (any case, once), an empty one becomes "Re:"', () => {
  expect(replySubject('Printer jammed')).toBe('Re: Printer jammed');
  expect(replySubject('Re: Printer jammed')).toBe('Re: Printer jammed');
  expect(replySubject('RE:Printer')).toBe('RE:Printer');
  expect(replySubject('re: re: loop')).toBe('re: re: loop');
  expect(replySubject('  Reply needed ')).toBe('Re: Reply needed');
  expect(replySubject('')).toBe('Re:');
  expect(replySubject(null)).toBe('Re:');
});

test("References are the ticket's References then its Message-ID, each once", () => {
  expect(replyReferences({ references: ['<a@x>', '<b@x>'], messageId: '<c@x>' })).toEqual(['<a@x>', '<b@x>', '<c@x>']);
  expect(replyReferences({ references: ['<a@x>', '<c@x>'], messageId: '<c@x>' })).toEqual(['<a@x>', '<c@x>']);
  expect(replyReferences({ references: [], messageId: null })).toEqual([]);
  expect(normalizeNewlines('a\r\nb\rc\nd')).toBe('a\nb\nc\nd');
});

test('a Message-ID is 128 random bits at the domain of the From address', () => {
  expect(messageIdDomain('support@Helpdesk.Example')).toBe('helpdesk.example');
  expect(messageIdDomain('"Support" <support@help.example.com>')).toBe('help.example.com');
  expect(messageIdDomain('no-domain')).toBe(FALLBACK_MESSAGE_ID_DOMAIN);
  expect(messageIdDomain('x@bad_domain!')).toBe(FALLBACK_MESSAGE_ID_DOMAIN);
  expect(newMessageId('a@b.example', () => Buffer.alloc(16, 0xab))).toBe(`<${'ab'.repeat(16)}@b.example>`);
  expect(newMessageId('a@b.example')).not.toBe(newMessageId('a@b.example'));
});

test('the backoff: 30 s doubling, capped at 1 h, up to 20 % earlier; 12 attempts', () => {
  const at = (attempt: number, random = 0) => retryDelayMs(attempt, DEFAULT_RETRY_POLICY, random);
  expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((n) => at(n))).toEqual([
    30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000,
  ]);
  expect(at(1, 0.999999)).toBe(24_000);
  expect(at(8, 1)).toBe(2_880_000);
  expect(shouldRetry(true, 11, DEFAULT_RETRY_POLICY)).toBe(true);
  expect(shouldRetry(true, 12, DEFAULT_RETRY_POLICY)).toBe(false);
  expect(shouldRetry(false, 1, DEFAULT_RETRY_POLICY)).toBe(false);
});

test('lease owners name host, pid and a random part; only a dead pid of this host is dead', () => {
  const owner = newLeaseOwner('mail-1.example', 4242);
  expect(owner).toMatch(/^mail-1\.example:4242:[0-9a-f]{8}$/);
  expect(parseLeaseOwner(owner)).toEqual({ host: 'mail-1.example', pid: 4242 });
  expect(parseLeaseOwner('garbage')).toBeNull();
  const runs = (pid: number) => pid !== 4242;
  expect(isDeadLocalOwner(owner, 'mail-1.example', runs)).toBe(true);
  expect(isDeadLocalOwner(owner, 'mail-2.example', runs)).toBe(false);
  expect(isDeadLocalOwner(newLeaseOwner('mail-1.example', 7), 'mail-1.example', runs)).toBe(false);
  expect(isDeadLocalOwner('not an owner', 'mail-1.example', () => false)).toBe(false);
});
