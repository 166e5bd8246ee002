/**
 * Sending through a connected account, with the plugin built as production builds it (the fetch world:
 * buildServices on the reference host's scope) against the local Microsoft-like server issuing 2,400-character
 * tokens, the test Dovecot's submission service and an SMTP sink: Connect asks for SMTP.Send, the transport sends,
 * Test connection logs in over SMTP, a revoked grant is the account's status with one notification and sending
 * works again after Re-authorize. No token reaches a log line.
 */
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import { ConnectionTester } from '../../../plugin/admin/connection-test';
import { systemClock } from '../../../plugin/ports/clock';
import { smtpTransport } from '../../../plugin/send/smtp-transport';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { testDatabases, type TestDatabase } from '../../helpers/databases';
import { rejectionOf } from '../../helpers/rejection';
import {
  startDovecot,
  startOAuthServer,
  startSmtpSink,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type SmtpSink,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from '../fetch/fetch-world';

const ALICE = 'alice@example.test';
let db: TestDatabase;
let sink: SmtpSink;
let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;
let world: FetchWorld;

beforeAll(async () => {
  const dir = tempDir('o2m-send');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  sink = await startSmtpSink();
  oauthServer = await startOAuthServer({
    profile: 'microsoft',
    dir,
    redirectUris: [TEST_REDIRECT_URI],
    accessTokenLength: 2_400,
  });
  dovecot = await startDovecot({ dir, oauth: oauthServer, submissionRelayPort: sink.port });
  world = await createFetchWorld({ knex: db.knex, oauthServer, dovecot });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
  await sink?.stop();
  await db?.destroy();
});

const sending = () => ({
  smtpEnabled: 'true',
  smtpHost: '127.0.0.1',
  smtpPort: String(dovecot.ports.submission),
  smtpTls: 'starttls',
});

test('Connect asks for SMTP.Send when sending is on, and a reply leaves through the account', async () => {
  const created = await world.oauth.accounts.create(
    { appId: world.appId, mailbox: ALICE, host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', ...sending() },
    'admin-1',
  );
  const { authorizationUrl } = await world.oauth.authorization.start(created.id, 'admin-1');
  expect(new URL(authorizationUrl).searchParams.get('scope')?.split(' ')).toContain(
    'https://outlook.office.com/SMTP.Send',
  );
  const account = await world.reconnect(created.id, ALICE);
  expect(account.status).toBe('connected');

  const transport = smtpTransport(world.sending);
  expect(await transport.senders()).toEqual([{ accountId: account.id, address: ALICE, title: ALICE }]);
  const before = sink.messages.length;
  const result = await transport.send(account.id, {
    to: ['customer@example.org'],
    subject: 'Re: hello',
    text: 'Thanks, done.',
    inReplyTo: '<q@example.org>',
    references: ['<q@example.org>'],
    messageId: '<reply-a@helpdesk.example.test>',
  });
  expect(result).toMatchObject({ messageId: '<reply-a@helpdesk.example.test>', accepted: ['customer@example.org'] });
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  expect(received.from).toBe(ALICE);
  expect(received.raw.toString()).toMatch(/^In-Reply-To: <q@example.org>$/m);
  const events = await world.repositories.events.list({ accountId: account.id, limit: 20 });
  expect(events.map((e) => e.type)).toContain('mail_sent');
});

test('Test connection logs in over SMTP when the account sends, and says so when it cannot', async () => {
  const [account] = await world.repositories.accounts.list();
  const tester = new ConnectionTester({
    tokens: world.oauth.tokenService,
    mailFetcher: new ImapFlowMailFetcher({ logger: new CapturingLogger(), allowInsecureLoopback: true }),
    clock: systemClock,
    caCertPem: dovecot.caCertPem,
    smtp: world.sending,
  });
  const passed = await tester.test(account);
  expect(passed.steps.map((step) => [step.step, step.outcome])).toEqual([
    ['token', 'ok'],
    ['login', 'ok'],
    ['folders', 'ok'],
    ['messages', 'ok'],
    ['header', 'ok'],
    ['smtp', 'ok'],
  ]);
  const broken = await world.repositories.accounts.update(account.id, {
    ...account,
    smtp: { ...account.smtp, port: 1 },
  });
  const failed = await tester.test(broken);
  expect(failed.ok).toBe(false);
  expect(failed.steps.find((step) => step.step === 'smtp')).toMatchObject({
    outcome: 'failed',
    error: { code: 'ERR_MAIL_PORT_CLOSED' },
  });
  await world.repositories.accounts.update(account.id, account);
});

test('a revoked grant: the send fails as a dead grant, the account needs re-authorization (one notification), Re-authorize sends again', async () => {
  const [account] = await world.repositories.accounts.list();
  await oauthServer.revokeUser(ALICE);
  const reply = { to: ['customer@example.org'], subject: 'Re: again', text: 'x' };
  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await rejectionOf(world.sending.send(account.id, reply));
    expect(error.code).toBe('ERR_GRANT_INVALID');
  }
  expect((await world.repositories.accounts.find(account.id))?.status).toBe('needs_reauth');
  const open = await world.openNotifications();
  expect(open.filter((n) => n.key.includes(`:account:${account.id}:`))).toHaveLength(1);

  await world.reconnect(account.id, ALICE);
  const before = sink.messages.length;
  await expect(world.sending.send(account.id, reply)).resolves.toMatchObject({ accepted: ['customer@example.org'] });
  await sink.waitFor(before + 1);
});

test('no access token, refresh token or client secret in any log line', async () => {
  const tokens = await db.knex('oauth2_mail_tokens').select('access_token_sealed');
  expect(tokens.length).toBeGreaterThan(0);
  const text = world.logger.lines.map((line) => JSON.stringify(line)).join('\n');
  expect(text).not.toMatch(/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{100,}/); // a padded access token
  expect(text).not.toContain(oauthServer.client.clientSecret);
});
