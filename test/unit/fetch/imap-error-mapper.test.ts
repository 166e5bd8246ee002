import { mapImapError } from '../../../adapters/imapflow/imap-error-mapper';
import { imapFlowLogger } from '../../../adapters/imapflow/imap-logger';
import { PluginError } from '../../../plugin/errors';
import { CapturingLogger } from '../../helpers/capturing-logger';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-access-token-value';

function err(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

// Error objects in the shapes imapflow 2.10.2 produces (docs/providers.md#imap-server-answers).
const cases: [string, unknown, string | undefined, string][] = [
  [
    'Dovecot XOAUTH2 refusal',
    err('Command failed', {
      authenticationFailed: true,
      responseStatus: 'NO',
      responseText: 'Authentication failed.',
      serverResponseCode: 'AUTHENTICATIONFAILED',
      oauthError: { status: '401', schemes: 'bearer', scope: 'mail' },
    }),
    undefined,
    'ERR_MAIL_AUTH_FAILED',
  ],
  [
    'Exchange "AUTHENTICATE failed."',
    err('Command failed', { authenticationFailed: true, responseStatus: 'NO', responseText: 'AUTHENTICATE failed.' }),
    undefined,
    'ERR_MAIL_AUTH_FAILED',
  ],
  [
    'Exchange authenticated but not connected',
    err('Authentication failed', { authenticationFailed: true, response: 'User is authenticated but not connected.' }),
    undefined,
    'ERR_MAILBOX_ACCESS_DENIED',
  ],
  [
    'Dovecot auth server unreachable',
    err('Command failed', {
      authenticationFailed: true,
      responseStatus: 'NO',
      responseText: 'Temporary authentication failure.',
      serverResponseCode: 'UNAVAILABLE',
    }),
    undefined,
    'ERR_MAIL_UNAVAILABLE',
  ],
  [
    'Exchange BYE AccessTokenExpired',
    err('Connection not available', { code: 'NoConnection', reason: 'Session invalidated - AccessTokenExpired' }),
    undefined,
    'ERR_MAIL_TOKEN_EXPIRED',
  ],
  [
    'BYE seen on the client only',
    err('Connection not available', { code: 'NoConnection' }),
    'Session invalidated - AccessTokenExpired',
    'ERR_MAIL_TOKEN_EXPIRED',
  ],
  ['no OAuth mechanism offered', new Error('Unsupported authentication mechanism'), undefined, 'ERR_MAIL_AUTH_FAILED'],
  [
    'self-signed certificate',
    err('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    undefined,
    'ERR_MAIL_TLS',
  ],
  [
    'unknown CA',
    err('unable to verify the first certificate', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
    undefined,
    'ERR_MAIL_TLS',
  ],
  [
    'wrong host name',
    err("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
    undefined,
    'ERR_MAIL_TLS',
  ],
  [
    'STARTTLS required but not offered',
    err('Server does not support STARTTLS', { tlsFailed: true }),
    undefined,
    'ERR_MAIL_TLS',
  ],
  [
    'connection timeout',
    err('Failed to establish connection in required time', { code: 'CONNECT_TIMEOUT' }),
    undefined,
    'ERR_TIMEOUT',
  ],
  ['greeting timeout', err('Failed to receive greeting', { code: 'GREETING_TIMEOUT' }), undefined, 'ERR_TIMEOUT'],
  ['socket timeout', err('Socket timeout', { code: 'ETIMEOUT' }), undefined, 'ERR_TIMEOUT'],
  ['refused', err('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), undefined, 'ERR_MAIL_PORT_CLOSED'],
  [
    'implicit TLS on a plain-text port',
    err('1C:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    }),
    undefined,
    'ERR_MAIL_TLS_MODE',
  ],
  ['dropped', err('Connection not available', { code: 'NoConnection' }), undefined, 'ERR_MAIL_UNAVAILABLE'],
  [
    'throttled',
    err('Request is throttled', { code: 'ETHROTTLE', throttleReset: 1000 }),
    undefined,
    'ERR_MAIL_UNAVAILABLE',
  ],
  [
    'folder missing (Dovecot 2.3)',
    err('Command failed', { responseStatus: 'NO', responseText: "Mailbox doesn't exist: Nope", mailboxMissing: true }),
    undefined,
    'ERR_MAIL_FOLDER_NOT_FOUND',
  ],
  [
    'folder missing',
    err('Command failed', {
      responseStatus: 'NO',
      responseText: "Mailbox doesn't exist: Nope",
      serverResponseCode: 'NONEXISTENT',
    }),
    undefined,
    'ERR_MAIL_FOLDER_NOT_FOUND',
  ],
];

describe('imapflow error mapping', () => {
  it('a plain-text client that gets no greeting from port 993 has the TLS mode wrong, elsewhere it timed out', () => {
    const silent = err('Timeout', { code: 'GREETING_TIMEOUT' });
    const plainOn993 = mapImapError(silent, { operation: 'connect', transport: { port: 993, tls: 'starttls' } });
    expect(plainOn993.code).toBe('ERR_MAIL_TLS_MODE');
    expect(plainOn993.message).toContain('port 993');
    const tlsOn993 = mapImapError(silent, { operation: 'connect', transport: { port: 993, tls: 'implicit' } });
    expect(tlsOn993.code).toBe('ERR_TIMEOUT');
  });

  it.each(cases)('%s', (_name, error, byeReason, code) => {
    const mapped = mapImapError(error, { operation: 'connect', secrets: [TOKEN], byeReason });
    expect(mapped).toBeInstanceOf(PluginError);
    expect(mapped.code).toBe(code);
    expect(mapped.message.startsWith('connect: ')).toBe(true);
  });

  it('never lets the token into the message, the details or the cause', () => {
    const error = err(`Command failed for user=a@b auth=Bearer ${TOKEN}`, {
      authenticationFailed: true,
      responseText: `echo ${TOKEN}`,
    });
    const mapped = mapImapError(error, { operation: 'connect', secrets: [TOKEN] });
    const everything = JSON.stringify({
      message: mapped.message,
      details: mapped.details,
      cause: String((mapped as { cause?: unknown }).cause),
    });
    expect(everything).not.toContain(TOKEN);
    expect(everything).toContain('[redacted]');
  });

  it('passes a PluginError through unchanged', () => {
    const original = new PluginError('ERR_MAIL_OPERATION_FAILED', 'x');
    expect(mapImapError(original, { operation: 'move' })).toBe(original);
  });

  it("imapflow's log lines reach the host logger without protocol text or tokens", () => {
    const memory = new CapturingLogger();
    const log = imapFlowLogger(memory, [TOKEN]);
    log.debug({
      src: 'c',
      msg: `1 AUTHENTICATE XOAUTH2 ${Buffer.from(`auth=Bearer ${TOKEN}`).toString('base64')}`,
      cid: 'abc',
    });
    log.info({
      msg: 'Established secure TCP connection',
      host: '127.0.0.1',
      port: 993,
      secure: true,
      cid: 'abc',
      secret: TOKEN,
    });
    log.error({ msg: `failure ${TOKEN}`, err: new Error(`oops ${TOKEN}`) });
    const text = JSON.stringify(memory.lines);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(`auth=Bearer ${TOKEN}`).toString('base64'));
    expect(memory.lines.map((l) => l.msg)).toEqual([
      'client command',
      'Established secure TCP connection',
      'failure [redacted]',
    ]);
    expect(memory.lines[1].fields).toMatchObject({ host: '127.0.0.1', port: 993, secure: true });
  });
});
