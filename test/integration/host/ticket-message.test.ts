/**
 * A ticket's message read for the page and for a reply, over the committed .eml corpus (malformed ones included):
 * nothing throws, addresses, subject, date, text, attachments and threading come out, control bytes never reach
 * the page; an HTML-only message is shown as text.
 */
import { readTicketMessage } from '../../../host/ticket-message';
import { committedCorpus } from '../fetch/mail-corpus';

test('every corpus message is read without throwing, malformed ones included', async () => {
  const read = await Promise.all(committedCorpus().map(async (m) => [m.name, await readTicketMessage(m.raw)] as const));
  const byName = new Map(read);
  // eslint-disable-next-line no-control-regex -- exactly what must not reach the page
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
  for (const [, message] of read) expect(message.text).not.toMatch(control);
  expect(byName.get('01-plain.eml')).toMatchObject({
    from: '"Alice Example" <alice@example.test>',
    to: '"Helpdesk" <help@example.test>',
    subject: 'Printer on floor 3 is jammed',
    messageId: '<plain-0001@example.test>',
    replyAddresses: ['alice@example.test'],
    fromHtml: false,
    problem: null,
  });
  expect(byName.get('01-plain.eml')?.date?.toISOString()).toBe('2026-01-01T09:00:00.000Z');
  expect(byName.get('03-attachments.eml')?.attachments).toEqual([
    { filename: 'invoice 2026-001.pdf', contentType: 'application/pdf', size: 1049 },
    { filename: 'screen.png', contentType: 'image/png', size: 93 },
  ]);
  expect(byName.get('04-rfc2047-subject.eml')?.subject).toBe('Drücker streikt – bitte helfen Ärger');
  expect(byName.get('08-nul-bytes.eml')?.text).toContain('before\ufffd\ufffdafter');
  expect(byName.get('09-no-message-id.eml')?.messageId).toBeNull();
  expect(byName.get('10-empty.eml')).toMatchObject({ from: null, subject: null, text: '', replyAddresses: [] });
});

test('Reply-To wins over From; References are read in order; an HTML-only body is shown as text', async () => {
  const raw = Buffer.from(
    [
      'From: Customer <customer@customers.example>',
      'Reply-To: Team <team@customers.example>, other@customers.example',
      'Subject: html only',
      'Message-ID: <m-3@customers.example>',
      'References: <m-1@customers.example>\r\n <m-2@customers.example>',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hello <b>world</b></p><script>alert(1)</script>',
    ].join('\r\n'),
  );
  const message = await readTicketMessage(raw);
  expect(message.replyAddresses).toEqual(['team@customers.example', 'other@customers.example']);
  expect(message.references).toEqual(['<m-1@customers.example>', '<m-2@customers.example>']);
  expect(message.fromHtml).toBe(true);
  expect(message.text).toContain('Hello world');
  expect(message.text).not.toContain('<b>');
});
