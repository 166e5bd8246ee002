/**
 * adapters/smtp against real components: the test Dovecot's submission service (STARTTLS on `submission`, implicit
 * TLS on `submissions`) validating the token at the local OAuth server, relaying to an SMTP sink that keeps what it
 * received. The Microsoft-like server issues tokens padded to 2,400 characters (like Entra's JWTs), so the AUTH
 * line would be over Dovecot's 1,024-byte limit; the Google-like one issues short tokens (initial response path).
 */
import { NodemailerMailSender } from '../../../adapters/smtp/nodemailer-mail-sender';
import type { SmtpEndpoint } from '../../../plugin/ports/mail-sender';
import {
  startDovecot,
  startOAuthServer,
  startSmtpSink,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type SmtpSink,
} from '../../helpers/test-env';
import { rejectionOf } from '../../helpers/rejection';
import { codeFlowTokens } from '../imap/code-flow-token';

const ALICE = 'alice@example.test';
const LONG_TOKEN = 2_400;

let sink: SmtpSink;
let microsoft: { oauth: OAuthServerHandle; dovecot: DovecotHandle; token: string };
let google: { oauth: OAuthServerHandle; dovecot: DovecotHandle; token: string };
const sender = new NodemailerMailSender();

async function environment(profile: 'microsoft' | 'google', accessTokenLength?: number) {
  const dir = tempDir(`smtp-${profile}`);
  const oauth = await startOAuthServer({ profile, dir, ...(accessTokenLength ? { accessTokenLength } : {}) });
  const dovecot = await startDovecot({ dir, oauth, submissionRelayPort: sink.port });
  const { accessToken } = await codeFlowTokens(oauth, ALICE);
  return { oauth, dovecot, token: accessToken };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  [microsoft, google] = await Promise.all([environment('microsoft', LONG_TOKEN), environment('google')]);
}, 120_000);

afterAll(async () => {
  await Promise.all([microsoft, google].flatMap((env) => (env ? [env.dovecot.stop(), env.oauth.stop()] : [])));
  await sink?.stop();
});

function starttls(env: { dovecot: DovecotHandle }): SmtpEndpoint {
  return {
    host: '127.0.0.1',
    port: env.dovecot.ports.submission,
    tls: 'starttls',
    caCertPem: env.dovecot.caCertPem,
    timeoutMs: 10_000,
  };
}

function implicitTls(env: { dovecot: DovecotHandle }): SmtpEndpoint {
  return {
    host: '127.0.0.1',
    port: env.dovecot.ports.submissions,
    tls: 'implicit',
    caCertPem: env.dovecot.caCertPem,
    timeoutMs: 10_000,
  };
}

/** The header block of what the sink received, unfolded, by lower-cased name. */
function headersOf(raw: Buffer): Map<string, string> {
  const head = raw
    .toString('utf8')
    .split(/\r?\n\r?\n/)[0]
    .replace(/\r?\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !headers.has(line.slice(0, colon).toLowerCase()))
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

test('a reply over STARTTLS with a 2,400-character token arrives whole: From, To, Message-ID, In-Reply-To, References', async () => {
  expect(microsoft.token.length).toBe(LONG_TOKEN);
  const before = sink.messages.length;
  const result = await sender.send(
    starttls(microsoft),
    { user: ALICE, accessToken: microsoft.token },
    {
      from: ALICE,
      to: ['customer@example.org'],
      cc: ['colleague@example.org'],
      subject: 'Re: printer on fire',
      text: 'We are on it.\r\n-- \r\nSupport',
      inReplyTo: '<q-1@example.org>',
      references: ['<q-0@example.org>', '<q-1@example.org>'],
      messageId: '<reply-1@helpdesk.example.test>',
    },
  );
  expect(result.messageId).toBe('<reply-1@helpdesk.example.test>');
  expect(result.response).toMatch(/^250 /);
  expect([...result.accepted].sort()).toEqual(['colleague@example.org', 'customer@example.org']);
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  expect(received.from).toBe(ALICE);
  expect([...received.to].sort()).toEqual(['colleague@example.org', 'customer@example.org']);
  const headers = headersOf(received.raw);
  expect(headers.get('from')).toBe(ALICE);
  expect(headers.get('to')).toBe('customer@example.org');
  expect(headers.get('message-id')).toBe('<reply-1@helpdesk.example.test>');
  expect(headers.get('in-reply-to')).toBe('<q-1@example.org>');
  expect(headers.get('references')).toBe('<q-0@example.org> <q-1@example.org>');
  expect(headers.get('subject')).toBe('Re: printer on fire');
  expect(received.raw.toString('utf8')).toContain('We are on it.');
});

test('implicit TLS with a short token (initial response in the AUTH line) and a raw message sent byte for byte', async () => {
  const before = sink.messages.length;
  const raw = Buffer.from(
    'From: alice@example.test\r\nTo: someone@example.org\r\nSubject: raw\r\nMessage-ID: <raw-1@example.test>\r\n\r\n' +
      'line one\r\n.leading dot\r\n',
  );
  const result = await sender.send(
    implicitTls(google),
    { user: ALICE, accessToken: google.token },
    { from: ALICE, to: ['someone@example.org'], raw },
  );
  expect(result.messageId).toBe('<raw-1@example.test>');
  const [received] = (await sink.waitFor(before + 1)).slice(before);
  // Dovecot prepends its Received header; everything after it is the message as sent.
  expect(received.raw.subarray(received.raw.length - raw.length).equals(raw)).toBe(true);
});

test('verify logs in and out; a token the server does not know is refused as ERR_SMTP_AUTH_FAILED, never echoed', async () => {
  await expect(
    sender.verify(starttls(microsoft), { user: ALICE, accessToken: microsoft.token }),
  ).resolves.toBeUndefined();
  const bogus = `${'x'.repeat(1500)}-not-issued`;
  const error = await rejectionOf(sender.verify(starttls(microsoft), { user: ALICE, accessToken: bogus }));
  expect(error.code).toBe('ERR_SMTP_AUTH_FAILED');
  expect(error.details.smtpCode).toBe(535);
  expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('x'.repeat(40));
});

test('a token of another mailbox is refused for this user', async () => {
  const bob = await codeFlowTokens(google.oauth, 'bob@example.test');
  const login = { user: ALICE, accessToken: bob.accessToken };
  const error = await rejectionOf(
    sender.send(implicitTls(google), login, { from: ALICE, to: ['x@example.org'], text: 'x' }),
  );
  expect(error.code).toBe('ERR_SMTP_AUTH_FAILED');
});

test('a sender the relay refuses (553) -> ERR_SMTP_SENDER_REFUSED, not retryable', async () => {
  sink.refuseSender('refused@example.test');
  const login = { user: ALICE, accessToken: microsoft.token };
  const message = { from: 'refused@example.test', to: ['x@example.org'], text: 'x' };
  const error = await rejectionOf(sender.send(starttls(microsoft), login, message));
  expect(error.code).toBe('ERR_SMTP_SENDER_REFUSED');
  expect(error.message).toContain('553');
  expect(error.info.retryable).toBe(false);
});

test('the relay down -> a retryable error; back up -> sent', async () => {
  const login = { user: ALICE, accessToken: microsoft.token };
  const message = { from: ALICE, to: ['x@example.org'], text: 'x' };
  await sink.stop();
  try {
    const error = await rejectionOf(sender.send(starttls(microsoft), login, message));
    expect(error.info.retryable).toBe(true);
  } finally {
    await sink.start();
  }
  expect((await sender.send(starttls(microsoft), login, message)).response).toMatch(/^250 /);
});

test('TLS verified (no CA: ERR_MAIL_TLS), a closed port ERR_MAIL_PORT_CLOSED, cleartext refused', async () => {
  const login = { user: ALICE, accessToken: google.token };
  const code = async (endpoint: SmtpEndpoint) => (await rejectionOf(sender.verify(endpoint, login))).code;
  expect(await code({ ...implicitTls(google), caCertPem: null })).toBe('ERR_MAIL_TLS');
  expect(await code({ ...starttls(google), caCertPem: null })).toBe('ERR_MAIL_TLS');
  expect(await code({ ...implicitTls(google), port: 1 })).toBe('ERR_MAIL_PORT_CLOSED');
  // Implicit TLS spoken to the STARTTLS port (the server greets in plain text): the TLS mode, not a certificate.
  expect(await code({ ...implicitTls(google), port: google.dovecot.ports.submission })).toBe('ERR_MAIL_TLS_MODE');
  expect(await code({ ...starttls(google), tls: 'none', host: 'smtp.example.org' })).toBe('ERR_INPUT_INVALID');
});

test('the network policy: a metadata address, or a name that resolves to one, is refused before any connection', async () => {
  const login = { user: ALICE, accessToken: google.token };
  const metadata = { ...implicitTls(google), host: '169.254.169.254' };
  expect((await rejectionOf(sender.verify(metadata, login))).code).toBe('ERR_ADDRESS_REFUSED');
  const rebinding = new NodemailerMailSender({
    resolveAll: (_name, _options, callback) => callback(null, [{ address: '169.254.169.254', family: 4 }]),
  });
  const named = { ...implicitTls(google), host: 'smtp.example.org' };
  const error = await rejectionOf(rebinding.verify(named, login));
  expect(error.code).toBe('ERR_ADDRESS_REFUSED');
  expect(error.message).toContain('169.254.169.254');
  const privateNet = { ...implicitTls(google), host: '10.1.2.3' };
  expect((await rejectionOf(sender.verify(privateNet, login))).code).toBe('ERR_ADDRESS_REFUSED');
});
