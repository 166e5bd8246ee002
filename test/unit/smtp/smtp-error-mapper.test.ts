/** adapters/smtp: provider answers no local server produces (fixtures/smtp) and socket failures, mapped to codes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toSmtpPluginError } from '../../../adapters/smtp/smtp-error-mapper';
import { XOAuth2Refused } from '../../../adapters/smtp/xoauth2-authentication';
import { ERROR_CODES, type PluginErrorCode } from '../../../plugin/errors';

interface AnswerCase {
  readonly name: string;
  readonly command: string;
  readonly response: string;
  readonly code: PluginErrorCode;
}

const { cases } = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/smtp/provider-answers.json'), 'utf8')) as {
  cases: AnswerCase[];
};

/** An error as nodemailer's SMTP connection formats it for a server answer. */
function nodemailerError(command: string, response: string): Error {
  const type = command.startsWith('AUTH') ? 'EAUTH' : command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE';
  return Object.assign(new Error(`Command failed: ${response}`), {
    code: type,
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
  });
}

describe('SMTP answers of Microsoft and Google', () => {
  it.each(cases)('$name -> $code', ({ command, response, code }) => {
    const error = toSmtpPluginError(nodemailerError(command, response), 'send');
    expect(error.code).toBe(code);
    expect(error.message).toContain(response.slice(0, 12).replace(/\n/g, ' '));
    expect(error.details.smtpCode).toBe(Number(response.slice(0, 3)));
  });

  it('every mapped code is in the table, and only the temporary one is retried', () => {
    for (const { code } of cases) {
      expect(ERROR_CODES[code]).toBeDefined();
      expect(ERROR_CODES[code].retryable).toBe(code === 'ERR_SMTP_TEMPORARY');
    }
  });
});

describe('the XOAUTH2 exchange and the socket', () => {
  it('an error challenge keeps its status and scope, never its base64 payload', () => {
    const challenge = Buffer.from('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}');
    const refused = new XOAuth2Refused('535 5.7.8 Authentication failed.', JSON.parse(challenge.toString()));
    const error = toSmtpPluginError(Object.assign(refused, { code: 'EAUTH', responseCode: 535 }), 'login');
    expect(error.code).toBe('ERR_SMTP_AUTH_FAILED');
    expect(error.details).toMatchObject({ challengeStatus: '401', challengeScope: 'https://mail.google.com/' });
    expect(error.message).not.toContain(challenge.toString('base64'));
  });

  it.each([
    ['ECONNREFUSED', 'ESOCKET', 'connect ECONNREFUSED 127.0.0.1:1', 'ERR_MAIL_PORT_CLOSED'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'ESOCKET', 'ssl3_get_record:wrong version number', 'ERR_MAIL_TLS_MODE'],
    ['ETIMEDOUT', 'ETIMEDOUT', 'Connection timeout', 'ERR_TIMEOUT'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'ESOCKET', 'self-signed certificate', 'ERR_MAIL_TLS'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ESOCKET', 'unable to verify the first certificate', 'ERR_MAIL_TLS'],
  ])('%s -> %s', (originalCode, code, message, expected) => {
    const error = toSmtpPluginError(Object.assign(new Error(message), { code, originalCode }), 'send');
    expect(error.code).toBe(expected);
    expect(error.message).toContain(originalCode);
  });

  it('all recipients refused without a server answer on the error -> recipient refused, naming them', () => {
    const error = toSmtpPluginError(
      Object.assign(new Error("Can't send mail - all recipients were rejected"), {
        code: 'EENVELOPE',
        rejected: ['nobody@example.test'],
      }),
      'send',
    );
    expect(error.code).toBe('ERR_SMTP_RECIPIENT_REFUSED');
    expect(error.message).toContain('nobody@example.test');
  });
});
