/**
 * Replies end to end through the REAL plugin (its transport oauth2-mail.smtp: SMTP with XOAUTH2) into the test
 * Dovecot's submission service, which relays to the local SMTP sink; the reference host runs as a child process on
 * SQLite, driven by its console and over HTTP like an agent's browser. Needs the plugin side of sending (account
 * SMTP settings, the transport, Connect asking for SMTP.Send).
 *
 * - the console's sending flags reach the plugin (`account add --smtp …`, `account update --no-smtp / --smtp`);
 * - a Reply arrives at the sink whole: From, To, Message-ID, In-Reply-To, References, the exact text;
 * - `oauth2-mail send` goes through the same outbox and prints the server's answer;
 * - the relay down -> the reply stays queued with a retryable error, is retried and sent once when it is back;
 * - kill -9 of the host between the commit and the send (Dovecot stopped with SIGSTOP so the attempt stalls) ->
 *   sent after the restart (the dead process's lease is taken over at once), exactly one copy at the sink;
 * - a sender the relay refuses (553) -> failed at once, the error and its fix on the ticket page, not retried.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import escapeHtml from 'escape-html';
import type { Knex } from 'knex';
import { simpleParser } from 'mailparser';
import { createKnex } from '../../../host/create-knex';
import { AdminHttpClient } from '../../../host/demo/admin-http-client';
import { freePort, startHostProcess, type HostProcess } from '../../../host/demo/host-process';
import { ERROR_CODES } from '../../../plugin/errors';
import { headersOf } from '../../helpers/sink-transport';
import {
  completeAuthorization,
  startDovecot,
  startOAuthServer,
  startSmtpSink,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type SmtpSink,
} from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from '../host/ensure-build';

jest.setTimeout(240_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
const ADMIN = { email: 'admin@smtp-e2e.test', password: 'smtp e2e admin password' };
const ALICE = 'alice@example.test';
const CUSTOMER = 'customer@customers.example';

let dir: string;
let dbFile: string;
let port: number;
let sink: SmtpSink;
let oauth: OAuthServerHandle;
let dovecot: DovecotHandle;
let host: HostProcess;
let db: Knex;
let accountId: string;
let admin: AdminHttpClient;
const ticketBySubject = new Map<string, string>();

function customerMail(n: number, subject: string): Buffer {
  return Buffer.from(
    [
      `From: Customer ${n} <${CUSTOMER}>`,
      `To: Alice <${ALICE}>`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <cust-${n}@customers.example>`,
      `References: <cust-${n}-earlier@customers.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Question ${n}.`,
      '',
    ].join('\r\n'),
  );
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--db', dbFile, ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_EXTRA_CA_CERTS: oauth.caCertFile,
        OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email,
        OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = null;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

async function ok(args: string[]): Promise<Record<string, unknown>> {
  const result = await cli(['--json', ...args]);
  if (result.code !== 0) throw new Error(`oauth2-mail ${args.join(' ')}: ${result.stdout} ${result.stderr}`);
  return result.json as Record<string, unknown>;
}

function startHost(): Promise<HostProcess> {
  return startHostProcess({
    packageRoot: REPO_ROOT,
    db: dbFile,
    port,
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    caCertFile: oauth.caCertFile,
    logFile: join(dir, 'helpdesk.log'),
  });
}

interface Row {
  id: number;
  state: string;
  attempts: number;
  message_id: string;
  lease_owner: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
}

async function rowsOf(ticketId: string): Promise<Row[]> {
  return db('host_outbox')
    .where({ ticket_id: Number(ticketId) })
    .orderBy('id');
}

/** Waits until the ticket's latest reply satisfies `check` (the host's worker runs on its own). */
async function latestReply(ticketId: string, check: (row: Row) => boolean, timeoutMs = 90_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await rowsOf(ticketId);
    const row = rows[rows.length - 1];
    if (row && check(row)) return row;
    if (Date.now() > deadline) throw new Error(`reply of ticket ${ticketId} stayed ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function replyTo(subject: string, text: string): Promise<string> {
  const ticketId = ticketBySubject.get(subject);
  if (!ticketId) throw new Error(`no ticket "${subject}"`);
  const posted = await admin.postForm(`/tickets/${ticketId}/reply`, { text });
  expect({ status: posted.status, location: posted.location?.split('#')[0] }).toEqual({
    status: 303,
    location: `/tickets/${ticketId}`,
  });
  return ticketId;
}

function atSink(messageId: string) {
  return sink.messages.filter((m) => headersOf(m.raw).get('message-id') === messageId);
}

/** The pids of a process and all its descendants (from /proc), parents first. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}

function signalDovecot(signal: 'SIGSTOP' | 'SIGCONT'): void {
  const master = Number(readFileSync(join(dovecot.baseDir, 'master.pid'), 'utf8').trim());
  const pids = processTree(master);
  for (const pid of signal === 'SIGSTOP' ? pids : [...pids].reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

beforeAll(async () => {
  ensureBuilt();
  dir = tempDir('host-outbox-smtp');
  dbFile = join(dir, 'helpdesk.sqlite');
  port = await freePort();
  sink = await startSmtpSink();
  oauth = await startOAuthServer({
    profile: 'microsoft',
    dir,
    redirectUris: [`http://127.0.0.1:${port}/plugins/oauth2-mail/callback`],
  });
  dovecot = await startDovecot({ dir, oauth, submissionRelayPort: sink.port });
  await dovecot.seed(ALICE, [
    customerMail(1, 'Printer on fire'),
    customerMail(2, 'Relay down'),
    customerMail(3, 'Crash in between'),
    customerMail(4, 'Refused sender'),
    customerMail(5, 'Sending switched off'),
  ]);
  host = await startHost();
  db = createKnex(dbFile);
}, 240_000);

afterAll(async () => {
  if (dovecot) signalDovecot('SIGCONT');
  await host?.stop();
  await db?.destroy();
  await dovecot?.stop();
  await oauth?.stop();
  await sink?.stop();
});

test('the console sets up sending: account add --smtp …, update --no-smtp / --smtp; Connect; the mail becomes tickets', async () => {
  writeFileSync(join(dir, 'client-secret'), `${oauth.client.clientSecret}\n`);
  const app = await ok([
    'app',
    'add',
    '--provider',
    'microsoft',
    '--name',
    'Contoso (local)',
    '--issuer',
    oauth.issuer,
    '--client-id',
    oauth.client.clientId,
    '--client-secret-file',
    join(dir, 'client-secret'),
  ]);
  const added = await ok([
    'account',
    'add',
    '--app',
    String(app.id),
    '--mailbox',
    ALICE,
    '--host',
    dovecot.host,
    '--port',
    String(dovecot.ports.imaps),
    '--tls',
    'implicit',
    '--initial-sync',
    'all',
    '--post-fetch',
    'keep',
    '--smtp',
    '--smtp-host',
    dovecot.host,
    '--smtp-port',
    String(dovecot.ports.submission),
    '--smtp-tls',
    'starttls',
  ]);
  accountId = String(added.id);
  expect(added).toMatchObject({
    smtpEnabled: true,
    smtpHost: dovecot.host,
    smtpPort: dovecot.ports.submission,
    smtpTls: 'starttls',
    smtpFrom: ALICE,
  });
  expect(await ok(['account', 'update', accountId, '--no-smtp'])).toMatchObject({
    smtpEnabled: false,
    folder: 'INBOX',
    postFetch: 'keep',
  });
  expect(await ok(['account', 'update', accountId, '--smtp'])).toMatchObject({
    smtpEnabled: true,
    smtpHost: dovecot.host,
    smtpPort: dovecot.ports.submission,
    smtpTls: 'starttls',
    postFetch: 'keep',
  });

  const started = await ok(['account', 'connect', accountId, '--base-url', host.url]);
  const back = await completeAuthorization(String(started.authorizationUrl), {
    login: ALICE,
    password: 'alice-password',
    caCertPem: oauth.caCertPem,
  });
  expect((await fetch(back)).status).toBe(200);
  expect(await ok(['account', 'show', accountId])).toMatchObject({ status: 'connected' });

  await ok(['poll', '--once', '--account', accountId]);
  const tickets = (await ok(['tickets', 'list'])).tickets as Array<{ id: string; subject: string }>;
  for (const ticket of tickets) ticketBySubject.set(ticket.subject, ticket.id);
  expect([...ticketBySubject.keys()].sort()).toEqual(
    ['Crash in between', 'Printer on fire', 'Refused sender', 'Relay down', 'Sending switched off'].sort(),
  );
  admin = await AdminHttpClient.signIn(host.url, ADMIN.email, ADMIN.password);
});

test('a Reply arrives at the sink whole: From, To, Message-ID, In-Reply-To, References and the exact text', async () => {
  const text = 'Hello,\n\nthe printer is replaced — Grüße.\n.a line starting with a dot\n\n-- \nAlice';
  const before = sink.messages.length;
  const ticketId = await replyTo('Printer on fire', text);
  const row = await latestReply(ticketId, (r) => r.state === 'sent' || r.state === 'failed');
  expect(row).toMatchObject({ state: 'sent', attempts: 1, last_error_code: null });
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  expect(received.from).toBe(ALICE);
  expect(received.to).toEqual([CUSTOMER]);
  const headers = headersOf(received.raw);
  expect(headers.get('from')).toBe(ALICE);
  expect(headers.get('to')).toBe(CUSTOMER);
  expect(headers.get('message-id')).toBe(row.message_id);
  expect(headers.get('in-reply-to')).toBe('<cust-1@customers.example>');
  expect(headers.get('references')).toBe('<cust-1-earlier@customers.example> <cust-1@customers.example>');
  expect(headers.get('subject')).toBe('Re: Printer on fire');
  expect(headers.get('received')).toBeDefined();
  const parsed = await simpleParser(received.raw);
  expect(parsed.text?.replace(/\n$/, '')).toBe(text);
  const page = await admin.get(`/tickets/${ticketId}`);
  expect(page.text).toContain(`data-state="sent" data-message-id="${escapeHtml(row.message_id)}"`);
  expect(atSink(row.message_id)).toHaveLength(1);
});

test('oauth2-mail send goes through the outbox and the plugin: the Message-ID and the server answer', async () => {
  const before = sink.messages.length;
  const sent = await ok([
    'send',
    '--account',
    accountId,
    '--to',
    CUSTOMER,
    '--subject',
    'Re: Printer on fire',
    '--text',
    'A follow-up from the console.',
    '--in-reply-to',
    ticketBySubject.get('Printer on fire') ?? '',
  ]);
  expect(sent.response).toMatch(/^250 /);
  expect(sent.accepted).toEqual([CUSTOMER]);
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  expect(headersOf(received.raw).get('message-id')).toBe(sent.messageId);
  expect(headersOf(received.raw).get('in-reply-to')).toBe('<cust-1@customers.example>');
});

test('the relay down: the reply stays queued with a retryable error, is retried, and sent once when it is back', async () => {
  await sink.stop();
  let row: Row;
  let ticketId: string;
  try {
    ticketId = await replyTo('Relay down', 'Sent once the relay is back.');
    row = await latestReply(ticketId, (r) => r.state === 'queued' && r.attempts >= 1);
  } finally {
    await sink.start();
  }
  expect(row.last_error_code).not.toBeNull();
  expect(ERROR_CODES[row.last_error_code as keyof typeof ERROR_CODES].retryable).toBe(true);
  const page = await admin.get(`/tickets/${ticketId}`);
  expect(page.text).toContain(`data-state="queued"`);
  expect(page.text).toContain('next attempt');
  const sent = await latestReply(ticketId, (r) => r.state === 'sent' || r.state === 'failed');
  expect(sent.state).toBe('sent');
  expect(sent.message_id).toBe(row.message_id);
  expect(atSink(row.message_id)).toHaveLength(1);
});

test('kill -9 of the host between commit and send: sent after the restart, exactly one copy at the sink', async () => {
  const ticketId = ticketBySubject.get('Crash in between') ?? '';
  signalDovecot('SIGSTOP');
  let row: Row;
  try {
    await replyTo('Crash in between', 'Survives a crash of the helpdesk.');
    row = await latestReply(ticketId, (r) => r.state === 'sending' && (r.lease_owner ?? '').includes(`:${host.pid}:`));
    process.kill(host.pid, 'SIGKILL');
    await host.stop();
  } finally {
    signalDovecot('SIGCONT');
  }
  expect(atSink(row.message_id)).toHaveLength(0);
  host = await startHost();
  admin = await AdminHttpClient.signIn(host.url, ADMIN.email, ADMIN.password);
  const sent = await latestReply(ticketId, (r) => r.state === 'sent' || r.state === 'failed');
  expect(sent).toMatchObject({ state: 'sent', message_id: row.message_id });
  expect(sent.attempts).toBeGreaterThanOrEqual(2);
  expect(atSink(row.message_id)).toHaveLength(1);
});

test('a sender the relay refuses (553): failed at once, the error and its fix on the ticket page, not retried', async () => {
  sink.refuseSender(ALICE);
  const ticketId = await replyTo('Refused sender', 'This one is refused.');
  const row = await latestReply(ticketId, (r) => r.state === 'failed' || r.state === 'sent');
  expect(row).toMatchObject({ state: 'failed', attempts: 1, last_error_code: 'ERR_SMTP_SENDER_REFUSED' });
  expect(row.last_error_message).toContain('553');
  const page = await admin.get(`/tickets/${ticketId}`);
  expect(page.text).toContain(`data-state="failed"`);
  expect(page.text).toContain('data-code="ERR_SMTP_SENDER_REFUSED"');
  expect(page.text).toContain(escapeHtml(ERROR_CODES.ERR_SMTP_SENDER_REFUSED.fix));
  expect(atSink(row.message_id)).toHaveLength(0);
});

test('sending switched off for the account: the ticket page says so and a reply is refused, nothing committed', async () => {
  await ok(['account', 'update', accountId, '--no-smtp']);
  const ticketId = ticketBySubject.get('Sending switched off') ?? '';
  const page = await admin.get(`/tickets/${ticketId}`);
  expect(page.text).toContain('id="sending-off"');
  expect(page.text).toContain('href="/plugins/oauth2-mail/accounts"');
  const posted = await admin.postForm(`/tickets/${ticketId}/reply`, { text: 'Will not leave.' });
  expect(posted.status).toBe(400);
  expect(await rowsOf(ticketId)).toEqual([]);
});
