/**
 * The ticket page, the Reply form and the Outbox page of the reference host, in process over HTTP, with a real
 * transport (nodemailer to the local SMTP sink) registered in the host's registry: every corpus message renders
 * (malformed ones too), markup stays inert, a reply is committed then sent (threaded, one "Re:"), a refused sender
 * shows the error and the table's fix, sending off and a missing CSRF token commit nothing.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import escapeHtml from 'escape-html';
import pino from 'pino';
import { AdminHttpClient } from '../../../host/demo/admin-http-client';
import { HostApp } from '../../../host/host-app';
import { ERROR_CODES } from '../../../plugin/errors';
import { headersOf, sinkTransport, type SinkTransport } from '../../helpers/sink-transport';
import { startSmtpSink, tempDir, type SmtpSink } from '../../helpers/test-env';
import { committedCorpus } from '../fetch/mail-corpus';

jest.setTimeout(120_000);

const ADMIN = { email: 'admin@pages.test', password: 'admin password 12345' };
const AGENT = { email: 'agent@pages.test', password: 'agent password 12345' };
const SENDER = { accountId: 'acc-1', address: 'support@helpdesk.example', title: 'support@helpdesk.example' };
const XSS = '<img src=x onerror=alert(1)>';

let sink: SmtpSink;
let host: HostApp;
let url: string;
let transport: SinkTransport;
let agent: AdminHttpClient;
const ticketIds = new Map<string, string>();

function mail(id: string, subject: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      'From: Customer <customer@customers.example>',
      'To: support@helpdesk.example',
      `Subject: ${subject}`,
      'Date: Tue, 01 Dec 2026 10:00:00 +0000',
      `Message-ID: <${id}@customers.example>`,
      ...extra,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Hello,\n    indented line\n${XSS}\nBye`,
      '',
    ].join('\r\n'),
  );
}

async function ingest(name: string, raw: Buffer, accountId = SENDER.accountId): Promise<string> {
  const { ticketId } = await host.tickets.ingest({
    sourceId: 'test-plugin.imap',
    accountId,
    dedupeKey: `${accountId}:${name}`,
    raw,
    receivedAt: new Date('2026-12-01T10:00:00Z'),
  });
  ticketIds.set(name, ticketId);
  return ticketId;
}

/** Waits until `check` holds (the worker runs on its own); fails with the last value after 20 s. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  sink = await startSmtpSink();
  const dir = tempDir('ticket-page');
  host = await HostApp.open({
    db: join(dir, 'helpdesk.sqlite'),
    env: {
      OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
      OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email,
      OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password,
    },
    logger: pino({ level: 'silent' }),
    announce: () => undefined,
    scheduler: { firstRunDelayMs: 3_600_000 },
  });
  await host.ensureFirstAdmin();
  await host.users.create({ email: AGENT.email, role: 'agent', password: AGENT.password });
  transport = sinkTransport(sink.port, [SENDER]);
  host.registry.addTransport('test-plugin', transport);
  url = await host.listen({ port: 0, host: '127.0.0.1' });
  for (const message of committedCorpus()) await ingest(message.name, message.raw);
  await ingest('xss', mail('xss', XSS));
  await ingest('re', mail('re', 're: an earlier question', ['References: <q-0@customers.example>']));
  await ingest('refused', mail('refused', 'will be refused'));
  await ingest('off', mail('off', 'sending is off'), 'acc-off');
  agent = await AdminHttpClient.signIn(url, AGENT.email, AGENT.password);
});

afterAll(async () => {
  await host?.stop();
  await sink?.stop();
});

test('the ticket list links every ticket to its page', async () => {
  const list = await agent.get('/tickets');
  expect(list.status).toBe(200);
  for (const id of ticketIds.values()) expect(list.text).toContain(`href="/tickets/${id}"`);
});

test('every corpus message renders, malformed ones too; attachments are listed', async () => {
  for (const message of committedCorpus()) {
    const page = await agent.get(`/tickets/${ticketIds.get(message.name)}`);
    expect({ name: message.name, status: page.status }).toEqual({ name: message.name, status: 200 });
    expect(page.text).toContain('id="message-headers"');
    expect(page.text).toContain('id="reply-form"');
  }
  const plain = await agent.get(`/tickets/${ticketIds.get('01-plain.eml')}`);
  expect(plain.text).toContain('Printer on floor 3 is jammed');
  expect(plain.text).toContain('the printer on floor 3 is jammed again.');
  expect(plain.text).toContain('From support@helpdesk.example · To alice@example.test · Subject Re: Printer');
  const attached = await agent.get(`/tickets/${ticketIds.get('03-attachments.eml')}`);
  expect(attached.text).toContain('<td>invoice 2026-001.pdf</td><td>application/pdf</td><td>1.0 KB</td>');
  expect(attached.text).toContain('<td>screen.png</td><td>image/png</td><td>93 B</td>');
  expect((await agent.get('/tickets/999999')).status).toBe(404);
  expect((await agent.get('/tickets/abc')).status).toBe(404);
});

test('markup in a message is escaped and its whitespace kept', async () => {
  const page = await agent.get(`/tickets/${ticketIds.get('xss')}`);
  expect(page.text).not.toContain(XSS);
  expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(page.text).toContain('<pre class="mail-body" id="message-body">Hello,\n    indented line\n');
});

test('Reply commits, redirects to the page (303) and is sent: threaded, from the account, one "Re:"', async () => {
  const id = ticketIds.get('re') ?? '';
  const before = sink.messages.length;
  const posted = await agent.postForm(`/tickets/${id}/reply`, { text: 'We are on it.\r\n\r\n-- \r\nSupport' });
  expect(posted.status).toBe(303);
  const [entry] = await host.outbox.listForTicket(id);
  expect(posted.location).toBe(`/tickets/${id}#reply-${entry.id}`);
  expect(entry).toMatchObject({
    accountId: SENDER.accountId,
    from: SENDER.address,
    to: ['customer@customers.example'],
    subject: 're: an earlier question',
    inReplyTo: '<re@customers.example>',
    references: ['<q-0@customers.example>', '<re@customers.example>'],
    text: 'We are on it.\n\n-- \nSupport',
  });
  const sent = await eventually(
    () => host.outbox.find(entry.id),
    (row) => row?.state === 'sent',
  );
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  const headers = headersOf(received.raw);
  expect(headers.get('message-id')).toBe(entry.messageId);
  expect(headers.get('in-reply-to')).toBe('<re@customers.example>');
  expect(headers.get('references')).toBe('<q-0@customers.example> <re@customers.example>');
  expect(headers.get('subject')).toBe('re: an earlier question');
  const page = await agent.get(`/tickets/${id}`);
  expect(page.text).toContain(`id="reply-${entry.id}" data-state="sent"`);
  expect(page.text).toContain(`Message-ID <code>${escapeHtml(sent?.messageId ?? '')}</code>`);
});

test('a refused sender: failed at once, the ticket page shows the message and the fix; not retried', async () => {
  const id = ticketIds.get('refused') ?? '';
  transport.failNext('ERR_SMTP_SENDER_REFUSED');
  expect((await agent.postForm(`/tickets/${id}/reply`, { text: 'Answer' })).status).toBe(303);
  const [entry] = await host.outbox.listForTicket(id);
  await eventually(
    () => host.outbox.find(entry.id),
    (row) => row?.state === 'failed',
  );
  const page = await agent.get(`/tickets/${id}`);
  expect(page.text).toContain(`id="reply-${entry.id}" data-state="failed"`);
  expect(page.text).toContain('data-code="ERR_SMTP_SENDER_REFUSED">test failure ERR_SMTP_SENDER_REFUSED</p>');
  expect(page.text).toContain(escapeHtml(ERROR_CODES.ERR_SMTP_SENDER_REFUSED.fix));
  await host.outboxWorker.drain();
  expect(await host.outbox.find(entry.id)).toMatchObject({ state: 'failed', attempts: 1 });
});

test('sending off for the account: the page says so, a reply is refused and nothing is committed', async () => {
  const id = ticketIds.get('off') ?? '';
  const page = await agent.get(`/tickets/${id}`);
  expect(page.text).toContain('id="sending-off"');
  expect(page.text).toContain('Sending is off for mail account acc-off');
  const posted = await agent.postForm(`/tickets/${id}/reply`, { text: 'Will not leave' });
  expect(posted.status).toBe(400);
  expect(posted.text).toContain('id="reply-error"');
  expect(posted.text).toContain('Will not leave</textarea>');
  expect(await host.outbox.listForTicket(id)).toEqual([]);
});

test('an empty reply or a missing CSRF token commits nothing', async () => {
  const id = ticketIds.get('01-plain.eml') ?? '';
  const empty = await agent.postForm(`/tickets/${id}/reply`, { text: '   ' });
  expect(empty.status).toBe(400);
  expect(empty.text).toContain('Write the reply first');
  const forged = await fetch(`${url}/tickets/${id}/reply`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ text: 'x' }),
  });
  expect(forged.status).toBe(303);
  expect(forged.headers.get('location')).toBe('/login');
  expect(await host.outbox.listForTicket(id)).toEqual([]);
});

test('the Outbox page lists every message with its state, attempts, error and fix, and links its ticket', async () => {
  const page = await agent.get('/outbox');
  expect(page.status).toBe(200);
  expect(page.text).toContain('<a href="/outbox">Outbox</a>');
  const rows = await host.outbox.list();
  expect(rows.length).toBeGreaterThanOrEqual(2);
  for (const row of rows) {
    expect(page.text).toContain(`<tr id="outbox-${row.id}" data-state="${row.state}">`);
    expect(page.text).toContain(`href="/tickets/${row.ticketId}#reply-${row.id}"`);
  }
  expect(page.text).toContain(escapeHtml(ERROR_CODES.ERR_SMTP_SENDER_REFUSED.fix));
  const signedOut = await fetch(`${url}/outbox`, { redirect: 'manual' });
  expect(signedOut.status).toBe(303);
});
