/**
 * Logs carry error codes and causes, never SQL text or message content. knex puts the failing statement with its bound
 * values (a customer's From address, a session's CSRF token) in `message`; here a ticket store that rejects, a database
 * rule that refuses a ticket, a scheduled task and a web request that fail that way, and the captured log lines (and
 * the error the plugin is handed, which its poll cycle logs) are scanned for the address and the statement.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { HostApp } from '../../../host/host-app';
import { createLogger, toLoggerPort } from '../../../host/logger';
import { createPluginScope, type PluginScope } from '../../../host/plugin-scope';
import { Scheduler } from '../../../host/scheduler';
import { KNOWN_PERMISSIONS, PluginManifest } from '../../../plugin/manifest';
import type { InboundMessage } from '../../../plugin/ports/host';
import { demoManifest } from './demo-manifest';
import { WebClient } from './web-host';

jest.setTimeout(60_000);

const CUSTOMER = 'jane.customer@customers.example';
const SUBJECT = 'My invoice 4711 is wrong';
/** Words of the failing statement: none may reach a log line. */
const STATEMENT = /insert into|values \(|`host_(tickets|sessions)` \(|select .* from/i;

const manifest = PluginManifest.parse(
  demoManifest({
    permissions: [...KNOWN_PERMISSIONS],
    contributes: { mailSources: [{ id: 'demo-plugin.imap', title: 'IMAP' }] },
  }),
);

let dir: string;
let host: HostApp;
let scope: PluginScope;
const lines: string[] = [];

function message(key: string): InboundMessage {
  return {
    sourceId: 'demo-plugin.imap',
    accountId: 'acc-1',
    dedupeKey: key,
    raw: Buffer.from(`From: Jane <${CUSTOMER}>\r\nSubject: ${SUBJECT}\r\n\r\nPlease call me back.\r\n`),
    receivedAt: new Date('2026-05-04T08:00:00Z'),
  };
}

/** A knex error as knex makes it: the statement and its bound values in the message, the driver's code beside it. */
function knexLikeError(): Error {
  const error = new Error(
    `insert into \`host_tickets\` (\`from_address\`, \`subject\`) values ('Jane <${CUSTOMER}>', '${SUBJECT}') - ` +
      'SQLITE_CONSTRAINT: NOT NULL constraint failed: host_tickets.size',
  );
  Object.assign(error, { code: 'SQLITE_CONSTRAINT', errno: 19 });
  return error;
}

function expectClean(text: string): void {
  expect(text).not.toContain(CUSTOMER);
  expect(text).not.toContain(SUBJECT);
  expect(text).not.toMatch(STATEMENT);
}

/** What the plugin is handed when ingest fails: the text its poll cycle logs and stores as the reason. */
async function ingestFailure(key: string): Promise<{ code?: string; text: string }> {
  try {
    await scope.host.mail.ingest(message(key));
  } catch (error) {
    const { code } = error as { code?: string };
    return { code, text: `${String(error)} ${JSON.stringify(error)}` };
  }
  throw new Error('ingest was expected to fail');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'o2m-log-hygiene-'));
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      lines.push(chunk.toString());
      done();
    },
  });
  host = await HostApp.open({
    db: join(dir, 'helpdesk.sqlite'),
    env: {
      OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
      OAUTH2_MAIL_ADMIN_EMAIL: 'admin@example.test',
      OAUTH2_MAIL_ADMIN_PASSWORD: 'correct horse battery staple',
    },
    logger: createLogger({ level: 'debug', destination }),
    announce: () => undefined,
  });
  await host.ensureFirstAdmin();
  scope = createPluginScope(
    { ...host, publicBaseUrl: () => 'http://127.0.0.1' },
    manifest,
    new Set(manifest.permissions),
    {},
  );
});

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  lines.length = 0;
});

describe('log lines after a failure', () => {
  it('a database rule refusing a ticket: the plugin gets a code and a clean cause, the log names the code', async () => {
    await host.knex.raw(
      "CREATE TRIGGER refuse_ticket BEFORE INSERT ON host_tickets BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END",
    );
    try {
      const failure = await ingestFailure('acc-1:1:1');
      expect(failure.code).toBe('ERR_INGEST_REJECTED');
      expectClean(failure.text);
      const logged = lines.join('');
      expect(logged).toContain('SQLITE_CONSTRAINT');
      expectClean(logged);
    } finally {
      await host.knex.raw('DROP TRIGGER refuse_ticket');
    }
  });

  it('a ticket store that rejects with a knex error: the same', async () => {
    const ingest = jest.spyOn(host.tickets, 'ingest').mockRejectedValue(knexLikeError());
    try {
      const failure = await ingestFailure('acc-1:1:2');
      expect(failure.code).toBe('ERR_INGEST_REJECTED');
      expectClean(failure.text);
      const logged = lines.join('');
      expect(logged).toContain('SQLITE_CONSTRAINT');
      expectClean(logged);
    } finally {
      ingest.mockRestore();
    }
  });

  it('a scheduled task failing with a knex error is logged by its code', async () => {
    const scheduler = new Scheduler(toLoggerPort(host.logger), { firstRunDelayMs: 0 });
    let runs = 0;
    scheduler.schedule(
      {
        id: 'demo-plugin.tick',
        intervalMs: 3_600_000,
        run: async () => {
          runs += 1;
          throw knexLikeError();
        },
      },
      'demo-plugin',
    );
    scheduler.start();
    for (let i = 0; i < 200 && !lines.some((line) => line.includes('task run failed')); i++)
      await new Promise((resolve) => setImmediate(resolve));
    await scheduler.stop();
    expect(runs).toBe(1);
    const logged = lines.join('');
    expect(logged).toContain('task run failed');
    expect(logged).toContain('SQLITE_CONSTRAINT');
    expectClean(logged);
  });

  it('a web request failing in the database is logged by its code, without the statement or its values', async () => {
    await host.knex.raw(
      "CREATE TRIGGER refuse_session BEFORE INSERT ON host_sessions BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END",
    );
    try {
      const url = await host.listen({ port: 0, host: '127.0.0.1' });
      const answer = await new WebClient(url, '127.0.0.1').signIn('admin@example.test', 'correct horse battery staple');
      expect(answer.status).toBe(500);
      const logged = lines.join('');
      expect(logged).toContain('request failed');
      expect(logged).toContain('SQLITE_CONSTRAINT');
      expectClean(logged);
    } finally {
      await host.knex.raw('DROP TRIGGER refuse_session');
    }
  });
});
