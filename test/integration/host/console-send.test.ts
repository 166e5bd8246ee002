/**
 * The console's `send` and `outbox list` as separate processes (bin/oauth2-mail.js) on one SQLite file, with a test
 * plugin installed whose transport sends to the local SMTP sink: sent at once with the Message-ID and the server
 * answer (--json: exactly the documented keys); threaded to a ticket with --in-reply-to; a temporary failure exits
 * non-zero and stays queued; a permanent one fails; sending off is refused.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKnex } from '../../../host/create-knex';
import { TicketStore } from '../../../host/ticket-store';
import { ERROR_CODES } from '../../../plugin/errors';
import { headersOf } from '../../helpers/sink-transport';
import { writeSinkTransportPlugin, type SinkTransportPlugin } from '../../helpers/sink-transport-plugin';
import { startSmtpSink, tempDir, type SmtpSink } from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from './ensure-build';

jest.setTimeout(120_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
const SENDER = { accountId: 'acc-1', address: 'support@helpdesk.example', title: 'support@helpdesk.example' };

let dir: string;
let db: string;
let sink: SmtpSink;
let plugin: SinkTransportPlugin;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--db', db, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OAUTH2_MAIL_LOG_LEVEL: 'info' },
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

beforeAll(async () => {
  ensureBuilt();
  sink = await startSmtpSink();
  dir = tempDir('console-send');
  db = join(dir, 'helpdesk.sqlite');
  plugin = writeSinkTransportPlugin(join(dir, 'sink-plugin'), sink.port, [SENDER]);
  const installed = await cli(['plugin', 'install', plugin.dir]);
  expect({ code: installed.code, stderr: installed.stderr }).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await sink?.stop();
});

test('send --json: committed, sent at once; prints messageId, response, accepted, rejected, outboxId', async () => {
  const before = sink.messages.length;
  const sent = await cli([
    '--json',
    'send',
    '--account',
    SENDER.accountId,
    '--to',
    'one@customers.example',
    '--to',
    'two@customers.example',
    '--cc',
    'copy@customers.example',
    '--subject',
    'Maintenance tonight',
    '--text',
    'Dear customers,\nthe service is down from 22:00.',
  ]);
  expect(sent.stderr).not.toMatch(/error/i);
  expect(sent.code).toBe(0);
  const json = sent.json as Record<string, unknown>;
  expect(Object.keys(json).sort()).toEqual(['accepted', 'messageId', 'outboxId', 'rejected', 'response']);
  expect(json.messageId).toMatch(/^<[0-9a-f]{32}@helpdesk\.example>$/);
  expect(json.response).toMatch(/^250 /);
  expect(json.accepted).toEqual(['one@customers.example', 'two@customers.example', 'copy@customers.example']);
  expect(json.rejected).toEqual([]);
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  const headers = headersOf(received.raw);
  expect(headers.get('message-id')).toBe(json.messageId);
  expect(headers.get('from')).toBe(SENDER.address);
  expect(headers.get('to')).toBe('one@customers.example, two@customers.example');
  expect(headers.get('cc')).toBe('copy@customers.example');
  // Logs (stderr) carry no body and no recipient.
  expect(sent.stderr).not.toContain('customers.example');
  expect(sent.stderr).not.toContain('Dear customers');

  const human = await cli([
    'send',
    '--account',
    SENDER.accountId,
    '--to',
    'three@customers.example',
    '--subject',
    'From a file',
    '--text-file',
    writeText('body.txt', 'Text from a file.\n'),
  ]);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/^Sent <[0-9a-f]{32}@helpdesk\.example> \(outbox #\d+\)\nServer: 250 /);
});

function writeText(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('send --in-reply-to threads it to the ticket like the Reply form', async () => {
  const knex = createKnex(db);
  try {
    const { ticketId } = await new TicketStore(knex).ingest({
      sourceId: 'sink-transport.imap',
      accountId: SENDER.accountId,
      dedupeKey: 'console:1',
      raw: Buffer.from(
        'From: Customer <customer@customers.example>\r\nSubject: Broken\r\nMessage-ID: <t-1@customers.example>\r\n' +
          'References: <t-0@customers.example>\r\n\r\nIt is broken.\r\n',
      ),
      receivedAt: new Date(),
    });
    const before = sink.messages.length;
    const sent = await cli([
      '--json',
      'send',
      '--account',
      SENDER.accountId,
      '--to',
      'customer@customers.example',
      '--subject',
      'Re: Broken',
      '--text',
      'Fixed.',
      '--in-reply-to',
      ticketId,
    ]);
    expect(sent.code).toBe(0);
    const [received] = (await sink.waitFor(before + 1)).slice(before);
    const headers = headersOf(received.raw);
    expect(headers.get('in-reply-to')).toBe('<t-1@customers.example>');
    expect(headers.get('references')).toBe('<t-0@customers.example> <t-1@customers.example>');
    const row = await knex('host_outbox')
      .where({ id: Number((sent.json as { outboxId: string }).outboxId) })
      .first();
    expect(String(row.ticket_id)).toBe(ticketId);
  } finally {
    await knex.destroy();
  }
});

test('a temporary failure exits non-zero with code, message and fix, and the message stays queued', async () => {
  plugin.failNext('ERR_SMTP_TEMPORARY');
  const args = ['send', '--account', SENDER.accountId, '--to', 'x@customers.example', '--subject', 'S', '--text', 'T'];
  const human = await cli(args);
  expect(human.code).toBe(1);
  expect(human.stderr).toContain('error [ERR_SMTP_TEMPORARY]: sink transport told to fail with ERR_SMTP_TEMPORARY');
  expect(human.stderr).toContain('stays queued');
  expect(human.stderr).toContain(`fix: ${ERROR_CODES.ERR_SMTP_TEMPORARY.fix}`);
  plugin.failNext('ERR_SMTP_RECIPIENT_REFUSED');
  const json = await cli(['--json', ...args]);
  expect(json.code).toBe(1);
  expect(json.json).toMatchObject({
    error: { code: 'ERR_SMTP_RECIPIENT_REFUSED', details: { state: 'failed' } },
  });
  expect((json.json as { error: { message: string } }).error.message).toContain('not retried');
  const listed = await cli(['--json', 'outbox', 'list']);
  const rows = (listed.json as { outbox: Array<Record<string, unknown>> }).outbox;
  expect(rows.slice(-2)).toMatchObject([
    { state: 'queued', attempts: 1, lastErrorCode: 'ERR_SMTP_TEMPORARY', fix: ERROR_CODES.ERR_SMTP_TEMPORARY.fix },
    { state: 'failed', attempts: 1, lastErrorCode: 'ERR_SMTP_RECIPIENT_REFUSED', nextAttemptAt: null },
  ]);
  expect(rows[0]).toMatchObject({ state: 'sent', subject: 'Maintenance tonight' });
  expect(typeof rows[rows.length - 2].nextAttemptAt).toBe('string');
});

test('sending off for the account, or no recipient: refused, nothing committed', async () => {
  const before = ((await cli(['--json', 'outbox', 'list'])).json as { outbox: unknown[] }).outbox.length;
  const off = await cli(['send', '--account', 'acc-off', '--to', 'x@y.example', '--subject', 'S', '--text', 'T']);
  expect(off.code).toBe(1);
  expect(off.stderr).toContain('error [ERR_INPUT_INVALID]: Sending is off for mail account acc-off');
  const noTo = await cli(['send', '--account', SENDER.accountId, '--subject', 'S', '--text', 'T']);
  expect(noTo.code).toBe(1);
  expect(noTo.stderr).toContain('Give at least one --to address');
  const both = await cli(['send', '--account', 'a', '--to', 'x@y.example', '--subject', 'S']);
  expect(both.stderr).toContain('exactly one of --text or --text-file');
  const after = ((await cli(['--json', 'outbox', 'list'])).json as { outbox: unknown[] }).outbox;
  expect(after).toHaveLength(before);
  const human = await cli(['outbox', 'list']);
  expect(human.stdout.split('\n')[0]).toBe('id\tstate\taccount\tattempts\tnext/sent\tto\tsubject');
  expect(human.stdout).toContain('  fix: ');
});
