/**
 * Two reference hosts (`oauth2-mail start`, two processes) on one PostgreSQL / MariaDB database drain the same outbox
 * through a test plugin whose transport sends to the local SMTP sink: both send at the same time, and every message
 * leaves exactly once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { OutboxStore } from '../../../host/outbox/outbox-store';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import { headersOf } from '../../helpers/sink-transport';
import {
  SINK_PLUGIN_ID,
  SINK_TRANSPORT_ID,
  writeSinkTransportPlugin,
  type SinkTransportPlugin,
} from '../../helpers/sink-transport-plugin';
import { startSmtpSink, tempDir, type SmtpSink } from '../../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from './ensure-build';

jest.setTimeout(180_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
const SENDER = { accountId: 'acc-1', address: 'support@helpdesk.example', title: 'support@helpdesk.example' };
const MESSAGES = 40;
const servers = testDatabases().filter((provider) => provider.name !== 'sqlite');
const ENV = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
  OAUTH2_MAIL_ADMIN_EMAIL: 'admin@processes.test',
  OAUTH2_MAIL_ADMIN_PASSWORD: 'admin password 12345',
  OAUTH2_MAIL_LOG_LEVEL: 'warn',
};

function cli(url: string, args: string[]): void {
  const result = spawnSync(process.execPath, [BIN, '--db', url, ...args], {
    cwd: REPO_ROOT,
    env: ENV,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`oauth2-mail ${args.join(' ')}: ${result.stderr}`);
}

/** `oauth2-mail start` on a free port; resolves once it listens. */
function startHost(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, '--db', url, 'start', '--port', '0'], {
    cwd: REPO_ROOT,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.resume();
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the host did not start: ${out}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`the host exited (${code}): ${out}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Helpdesk listening on/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

async function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// testDatabases() printed a SKIPPED line for each server that does not answer.
if (servers.length === 0) test.skip('two host processes need PostgreSQL or MariaDB', () => undefined);

describe.each(servers)('two host processes on $name', (provider) => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let plugin: SinkTransportPlugin;
  const hosts: ChildProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    db = await provider.create();
    sink = await startSmtpSink();
    plugin = writeSinkTransportPlugin(join(tempDir('outbox-processes'), 'sink-plugin'), sink.port, [SENDER]);
    cli(db.url, ['plugin', 'install', plugin.dir]);
    cli(db.url, ['plugin', 'install', REPO_ROOT]);
  });

  afterAll(async () => {
    plugin?.release();
    await Promise.all(hosts.map(stopHost));
    await sink?.stop();
    await db?.destroy();
  });

  test('both send at once, and every message leaves exactly once', async () => {
    plugin.hold();
    hosts.push(await startHost(db.url), await startHost(db.url));
    const store = new OutboxStore(db.knex);
    const committed = [];
    for (let n = 0; n < MESSAGES; n += 1) {
      committed.push(
        await store.commit({
          pluginId: SINK_PLUGIN_ID,
          transportId: SINK_TRANSPORT_ID,
          accountId: SENDER.accountId,
          from: SENDER.address,
          to: [`customer${n}@customers.example`],
          subject: `Message ${n}`,
          text: `Body ${n}`,
        }),
      );
    }
    // While the transport holds, each process leases what its lanes are sending: both are at work at once.
    const owners = async () =>
      new Set(
        (await store.list({ limit: MESSAGES, state: 'sending' })).map((row) => row.leaseOwner?.split(':')[1] ?? ''),
      );
    await until(async () => (await owners()).size === 2, 'both processes to lease messages');
    expect([...(await owners())].sort()).toEqual(hosts.map((host) => String(host.pid)).sort());
    plugin.release();
    await until(async () => (await store.countByState()).sent === MESSAGES, 'every message to be sent');
    const rows = await store.list({ limit: MESSAGES });
    expect(rows.map((row) => row.attempts)).toEqual(Array(MESSAGES).fill(1));
    for (const entry of committed) {
      const copies = sink.messages.filter((m) => headersOf(m.raw).get('message-id') === entry.messageId);
      expect({ id: entry.id, copies: copies.length }).toEqual({ id: entry.id, copies: 1 });
    }
    expect(sink.messages).toHaveLength(MESSAGES);
  });
});
