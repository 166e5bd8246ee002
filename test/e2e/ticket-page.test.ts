// The ticket page in Chromium against the reference host (a real child process on SQLite) with a test plugin
// installed whose mail transport sends to the local SMTP sink: demo tickets and malformed mail render, a link from the
// ticket list opens the page, Reply commits (the page shows it not yet sent), then it is sent (the sink has it, one
// "Re:"); a refused sender shows the error and the fix on the ticket; an agent can reply, markup stays inert.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { Browser, Page } from 'playwright-core';
import { createKnex } from '../../host/create-knex';
import { initialDemoMessages } from '../../host/demo/demo-mail';
import { freePort, startHostProcess, type HostProcess } from '../../host/demo/host-process';
import { TicketStore } from '../../host/ticket-store';
import { ERROR_CODES } from '../../plugin/errors';
import { headersOf } from '../helpers/sink-transport';
import { writeSinkTransportPlugin, type SinkTransportPlugin } from '../helpers/sink-transport-plugin';
import { startSmtpSink, tempDir, type SmtpSink } from '../helpers/test-env';
import { committedCorpus } from '../integration/fetch/mail-corpus';
import { ensureBuilt, REPO_ROOT } from '../integration/host/ensure-build';
import { ADMIN, AGENT, launchChromium, SCREENSHOT_DIR } from './e2e-world';

jest.setTimeout(180_000);

const SENDER = { accountId: 'demo-1', address: 'alice@example.test', title: 'alice@example.test' };
const XSS = '<img src=x onerror=alert(1)>';

let dir: string;
let sink: SmtpSink;
let plugin: SinkTransportPlugin;
let host: HostProcess;
let db: Knex;
let browser: Browser;
let page: Page;
const tickets = new Map<string, string>();
const dialogs: string[] = [];

function cli(args: string[]): void {
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'oauth2-mail.js'), '--db', join(dir, 'db.sqlite'), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email, OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password },
    },
  );
  if (result.status !== 0) throw new Error(`oauth2-mail ${args.join(' ')} failed: ${result.stderr}`);
}

async function ingest(name: string, raw: Buffer): Promise<void> {
  const { ticketId } = await new TicketStore(db).ingest({
    sourceId: 'oauth2-mail.imap',
    accountId: SENDER.accountId,
    dedupeKey: `e2e:${name}`,
    raw,
    receivedAt: new Date(),
  });
  tickets.set(name, ticketId);
}

async function signIn(who: { email: string; password: string }): Promise<void> {
  await page.goto(`${host.url}/login`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type=submit]')]);
}

/** Reloads the ticket page until the reply is in `state` (the worker runs on its own schedule). */
async function waitForReplyState(ticketId: string, replyId: string, state: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(`${host.url}/tickets/${ticketId}`);
    if ((await page.getAttribute(`#reply-${replyId}`, 'data-state')) === state) return;
    if (Date.now() > deadline) throw new Error(`reply ${replyId} did not reach ${state}`);
    await page.waitForTimeout(250);
  }
}

/** Writes a reply in the form, sends it, and returns the new reply's id (from the redirect's #fragment). */
async function reply(ticketId: string, text: string): Promise<string> {
  await page.goto(`${host.url}/tickets/${ticketId}`);
  await page.fill('#reply-form textarea[name=text]', text);
  await Promise.all([page.waitForURL(/#reply-\d+$/), page.click('#reply-form button[type=submit]')]);
  const url = new URL(page.url());
  expect(url.pathname).toBe(`/tickets/${ticketId}`);
  return url.hash.replace('#reply-', '');
}

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('o2m-e2e-tickets');
  sink = await startSmtpSink();
  plugin = writeSinkTransportPlugin(join(dir, 'sink-plugin'), sink.port, [SENDER]);
  cli(['plugin', 'install', plugin.dir]);
  const agentPassword = join(dir, 'agent-password');
  writeFileSync(agentPassword, `${AGENT.password}\n`);
  cli(['user', 'add', '--email', AGENT.email, '--role', 'agent', '--password-file', agentPassword]);
  host = await startHostProcess({
    packageRoot: REPO_ROOT,
    db: join(dir, 'db.sqlite'),
    port: await freePort(),
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    logFile: join(dir, 'helpdesk.log'),
  });
  db = createKnex(join(dir, 'db.sqlite'));
  for (const [index, message] of initialDemoMessages().entries()) await ingest(`demo-${index + 1}`, message.raw);
  for (const message of committedCorpus()) await ingest(message.name, message.raw);
  await ingest(
    'xss',
    Buffer.from(
      `From: "${XSS}" <x@customers.example>\r\nSubject: RE: ${XSS}\r\nMessage-ID: <xss@customers.example>\r\n\r\n${XSS}\r\n`,
    ),
  );
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await db?.destroy();
  await sink?.stop();
});

test('the ticket list links to the ticket page; a demo ticket reads as the customer wrote it', async () => {
  await signIn(ADMIN);
  await page.goto(`${host.url}/tickets`);
  const id = tickets.get('demo-2') ?? '';
  await Promise.all([page.waitForURL(`${host.url}/tickets/${id}`), page.click(`#ticket-${id} td:nth-child(3) a`)]);
  expect(await page.textContent('h1')).toBe(`Ticket #${id}`);
  expect(await page.textContent('#message-subject')).toBe('Invoice 2026-1187: wrong VAT rate');
  expect(await page.textContent('#message-headers')).toContain('<priya@northwind.example>');
  const body = (await page.textContent('#message-body')) ?? '';
  expect(body).toContain('the invoice 2026-1187 shows 19 % VAT');
  expect(body).toContain('Best regards\nPriya Nair\nNorthwind Traders');
  expect(await page.isVisible('#no-replies')).toBe(true);
  expect(await page.textContent('#reply-form')).toContain(
    'From alice@example.test · To priya@northwind.example · Subject Re: Invoice 2026-1187: wrong VAT rate',
  );
});

test('malformed mail renders: no separator, broken MIME, NUL bytes, no Message-ID, an empty file', async () => {
  for (const name of [
    '06-no-header-body-separator.eml',
    '07-broken-mime.eml',
    '08-nul-bytes.eml',
    '09-no-message-id.eml',
    '10-empty.eml',
  ]) {
    const response = await page.goto(`${host.url}/tickets/${tickets.get(name)}`);
    expect({ name, status: response?.status() }).toEqual({ name, status: 200 });
    expect(await page.isVisible('#message-headers')).toBe(true);
    expect(await page.isVisible('#reply-form')).toBe(true);
  }
  await page.goto(`${host.url}/tickets/${tickets.get('03-attachments.eml')}`);
  expect(await page.textContent('#attachments')).toContain('invoice 2026-001.pdf');
});

test('Reply commits, shows the reply not yet sent, then sent with its Message-ID; one "Re:" at the sink', async () => {
  const id = tickets.get('demo-1') ?? '';
  const before = sink.messages.length;
  plugin.hold();
  let replyId: string;
  try {
    replyId = await reply(id, 'Hello Jonas,\n\nwe reset your account.\n\nAlice');
    const state = await page.getAttribute(`#reply-${replyId}`, 'data-state');
    expect(['queued', 'sending']).toContain(state);
    expect(await page.textContent(`#reply-${replyId} .mail-body`)).toBe(
      'Hello Jonas,\n\nwe reset your account.\n\nAlice',
    );
    await page.reload();
    expect(await page.locator('#replies li').count()).toBe(1);
  } finally {
    plugin.release();
  }
  await waitForReplyState(id, replyId, 'sent');
  const messageId = (await page.getAttribute(`#reply-${replyId}`, 'data-message-id')) ?? '';
  expect(await page.textContent(`#reply-${replyId}`)).toContain(`Message-ID ${messageId}`);
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  const headers = headersOf(received.raw);
  expect(headers.get('message-id')).toBe(messageId);
  expect(headers.get('subject')).toBe('Re: Cannot log in since this morning');
  expect(headers.get('from')).toBe('alice@example.test');
  expect(headers.get('to')).toBe('jonas.berg@customers.example');
  expect(headers.get('in-reply-to')).toMatch(/^<demo-1-\d+@customers\.example>$/);
  if (process.env.O2M_UPDATE_SCREENSHOTS === '1')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'ticket-reply.png'), fullPage: true });
});

test('a refused sender: the reply shows failed with the message and the fix, and is not retried', async () => {
  const id = tickets.get('demo-3') ?? '';
  plugin.failNext('ERR_SMTP_SENDER_REFUSED');
  const replyId = await reply(id, 'Wir senden ihn nach.');
  await waitForReplyState(id, replyId, 'failed');
  const text = (await page.textContent(`#reply-${replyId}`)) ?? '';
  expect(text).toContain('sink transport told to fail with ERR_SMTP_SENDER_REFUSED');
  expect(text).toContain(ERROR_CODES.ERR_SMTP_SENDER_REFUSED.fix);
  await page.goto(`${host.url}/outbox`);
  expect(await page.getAttribute(`#outbox-${replyId}`, 'data-state')).toBe('failed');
});

test('an agent replies too; markup in a ticket stays inert and "RE:" is not doubled', async () => {
  await page.context().clearCookies();
  await signIn(AGENT);
  const id = tickets.get('xss') ?? '';
  await page.goto(`${host.url}/tickets/${id}`);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.textContent('#message-body')).toContain(XSS);
  const before = sink.messages.length;
  const replyId = await reply(id, 'Thanks.');
  await waitForReplyState(id, replyId, 'sent');
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  expect(headersOf(received.raw).get('subject')).toBe(`RE: ${XSS}`);
  expect(dialogs).toEqual([]);
});
