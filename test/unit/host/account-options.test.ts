/**
 * The console's account options as the plugin's JSON API receives them: the sending flags map to `smtpEnabled`,
 * `smtpHost`, `smtpPort`, `smtpTls`, `smtpFrom`; an option not given is not sent (the update route is partial).
 */
import { Command } from 'commander';
import { accountForm, accountOptions } from '../../../host/cli/commands/account';

function parse(required: boolean, argv: string[]) {
  const command = accountOptions(new Command('account').exitOverride(), required);
  command.parse(argv, { from: 'user' });
  return accountForm(command.opts());
}

test('the sending flags map to the smtp fields; nothing not given is sent', () => {
  expect(
    parse(false, ['--smtp', '--smtp-host', 'smtp.example.com', '--smtp-port', '587', '--smtp-tls', 'starttls']),
  ).toEqual({ smtpEnabled: 'true', smtpHost: 'smtp.example.com', smtpPort: '587', smtpTls: 'starttls' });
  expect(parse(false, ['--no-smtp'])).toEqual({ smtpEnabled: 'false' });
  expect(parse(false, ['--smtp-from', 'help@example.com'])).toEqual({ smtpFrom: 'help@example.com' });
  expect(parse(false, [])).toEqual({});
  expect(parse(true, ['--app', '1', '--mailbox', 'a@example.com', '--no-smtp'])).toEqual({
    appId: '1',
    authMode: 'delegated',
    mailbox: 'a@example.com',
    protocol: 'imap',
    smtpEnabled: 'false',
  });
  expect(() => parse(false, ['--smtp-tls', 'ssl'])).toThrow();
});

test('--protocol is imap (default) or pop3', () => {
  expect(parse(true, ['--app', '1', '--mailbox', 'a@example.com', '--protocol', 'pop3'])).toMatchObject({
    protocol: 'pop3',
  });
  expect(parse(false, ['--protocol', 'imap'])).toEqual({ protocol: 'imap' });
  expect(() => parse(false, ['--protocol', 'pop'])).toThrow();
});
