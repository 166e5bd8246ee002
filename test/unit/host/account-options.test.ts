/**
 * The console's account options as the plugin's JSON API receives them: the sending flags map to `smtpEnabled`,
 * `smtpHost`, `smtpPort`, `smtpTls`, `smtpFrom`; an option not given is not sent; `update` sends the stored account
 * back with only the given options changed.
 */
import { Command } from 'commander';
import { accountForm, accountOptions, updateForm } from '../../../host/cli/commands/account';

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
    mailbox: 'a@example.com',
    protocol: 'imap',
    smtpEnabled: 'false',
  });
  expect(() => parse(false, ['--smtp-tls', 'ssl'])).toThrow();
});

test('update: the stored account with the given options on top', () => {
  const stored = {
    id: '7',
    appId: '1',
    mailbox: 'a@example.com',
    protocol: 'imap',
    host: 'outlook.office365.com',
    port: 993,
    tls: 'implicit',
    folder: 'INBOX',
    initialSync: 'unseen',
    postFetch: 'keep',
    pollIntervalSeconds: 60,
    sharedViaDelegate: false,
    enabled: true,
    smtpEnabled: true,
    smtpHost: null,
    smtpPort: 587,
    smtpTls: 'starttls',
    smtpFrom: null,
    status: 'connected',
    lastPollAt: 1,
  };
  const form = updateForm(stored, { smtp: false, folder: 'Support' });
  expect(form).toEqual({
    appId: '1',
    mailbox: 'a@example.com',
    protocol: 'imap',
    host: 'outlook.office365.com',
    port: '993',
    tls: 'implicit',
    folder: 'Support',
    initialSync: 'unseen',
    postFetch: 'keep',
    pollIntervalSeconds: '60',
    sharedViaDelegate: 'false',
    enabled: 'true',
    smtpEnabled: 'false',
    smtpPort: '587',
    smtpTls: 'starttls',
  });
});
