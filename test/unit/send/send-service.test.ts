/** plugin/send: the send service over the memory repositories, the token fake and the scripted SMTP server. */
import { PluginError } from '../../../plugin/errors';
import type { MailAccount, SmtpSettings } from '../../../plugin/ports/account-repository';
import { SendService, sendingIncidentKey } from '../../../plugin/send/send-service';
import { smtpTransport } from '../../../plugin/send/smtp-transport';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeTokens } from '../../helpers/fakes/fake-tokens';
import { ScriptedMailSender } from '../../helpers/fakes/scripted-mail-sender';
import { ManualClock } from '../../helpers/manual-clock';
import { createMemoryRepositories } from '../../helpers/memory';
import { MemoryNotify } from '../../helpers/memory-notify';
import { rejectionOf } from '../../helpers/rejection';

const SENDING: SmtpSettings = { enabled: true, host: 'smtp.example.test', port: 587, tls: 'starttls', from: null };

function world() {
  const clock = new ManualClock();
  const repos = createMemoryRepositories(clock);
  const sender = new ScriptedMailSender();
  const tokens = new FakeTokens(sender);
  const notify = new MemoryNotify();
  const service = new SendService({
    accounts: repos.accounts,
    tokens,
    sender,
    events: repos.events,
    notify,
    clock,
    logger: new CapturingLogger(),
    caCertPem: null,
    timeoutMs: 5_000,
  });
  const account = async (fields: Partial<MailAccount> & { mailbox: string }): Promise<MailAccount> => {
    const app = await repos.apps.create({ name: 'Mail', provider: 'generic', clientId: 'c', clientSecret: 's' });
    const created = await repos.accounts.create({
      appId: app.id,
      host: 'imap.example.test',
      port: 993,
      tls: 'implicit',
      smtp: SENDING,
      ...fields,
    });
    return repos.accounts.setStatus(created.id, {
      status: 'connected',
      authorizedIdentity: fields.authorizedIdentity ?? fields.mailbox,
    });
  };
  const eventTypes = async (accountId: string) =>
    (await repos.events.list({ accountId, limit: 50 })).map((event) => `${event.type}:${event.code ?? ''}`);
  return { repos, sender, tokens, notify, service, account, eventTypes };
}

const reply = { to: ['customer@example.org'], subject: 'Re: help', text: 'Done.', messageId: '<r-1@example.test>' };

test('sends from the mailbox through its SMTP server with the current token, and records it', async () => {
  const w = world();
  const alice = await w.account({ mailbox: 'alice@example.test' });
  const result = await w.service.send(alice.id, reply);
  expect(result).toMatchObject({ messageId: '<r-1@example.test>', accepted: ['customer@example.org'] });
  expect(w.sender.sent).toHaveLength(1);
  expect(w.sender.sent[0]).toMatchObject({
    user: 'alice@example.test',
    endpoint: { host: 'smtp.example.test', port: 587, tls: 'starttls', timeoutMs: 5_000 },
    message: { from: 'alice@example.test', to: ['customer@example.org'] },
  });
  expect(w.tokens.calls).toEqual([{ accountId: alice.id, forceRefresh: false }]);
  expect(await w.eventTypes(alice.id)).toContain('mail_sent:');
});

test('a refused token is refreshed once and the message sent; a second refusal is the error, with one notification', async () => {
  const w = world();
  const alice = await w.account({ mailbox: 'alice@example.test' });
  w.sender.acceptedTokens.clear(); // the stored token was revoked early: the next one is accepted
  await expect(w.service.send(alice.id, reply)).resolves.toMatchObject({ messageId: '<r-1@example.test>' });
  expect(w.tokens.calls.map((call) => call.forceRefresh)).toEqual([false, true]);

  w.tokens.autoAccept = false;
  w.sender.acceptedTokens.clear();
  for (let i = 0; i < 3; i++) {
    const error = await rejectionOf(w.service.send(alice.id, reply));
    expect(error.code).toBe('ERR_SMTP_AUTH_FAILED');
  }
  expect(w.tokens.refreshes).toBe(4); // one forced refresh per send, never a loop
  expect([...w.notify.open.keys()]).toEqual([sendingIncidentKey(alice.id, 'ERR_SMTP_AUTH_FAILED')]);
  expect((await w.repos.accounts.find(alice.id))?.status).toBe('connected'); // sending never touches fetching's status

  w.tokens.autoAccept = true;
  await w.tokens.getAccessToken(alice.id, { forceRefresh: true });
  await w.service.send(alice.id, reply);
  expect(w.notify.open.size).toBe(0);
});

test('a shared mailbox sends as itself through the delegate who signed in', async () => {
  const w = world();
  const shared = await w.account({
    mailbox: 'support@example.test',
    sharedViaDelegate: true,
    authorizedIdentity: 'agent@example.test',
  });
  await w.service.send(shared.id, reply);
  expect(w.sender.sent[0]).toMatchObject({ user: 'agent@example.test', message: { from: 'support@example.test' } });
});

test('the configured From address is used when the message names none, an explicit one wins', async () => {
  const w = world();
  const alice = await w.account({ mailbox: 'alice@example.test', smtp: { ...SENDING, from: 'help@example.test' } });
  await w.service.send(alice.id, reply);
  await w.service.send(alice.id, { ...reply, from: 'alice@example.test' });
  expect(w.sender.sent.map((s) => s.message.from)).toEqual(['help@example.test', 'alice@example.test']);
});

test('sending off, a disabled account, an unknown account and bad messages are refused before any connection', async () => {
  const w = world();
  const off = await w.account({ mailbox: 'off@example.test', smtp: { ...SENDING, enabled: false } });
  const disabled = await w.account({ mailbox: 'disabled@example.test', enabled: false });
  const alice = await w.account({ mailbox: 'alice@example.test' });
  expect(await rejectionOf(w.service.send(off.id, reply))).toMatchObject({
    code: 'ERR_INPUT_INVALID',
    details: { field: 'smtpEnabled' },
  });
  expect((await rejectionOf(w.service.send(disabled.id, reply))).message).toContain('disabled');
  expect((await rejectionOf(w.service.send('999', reply))).code).toBe('ERR_NOT_FOUND');
  for (const bad of [
    { ...reply, to: [] },
    { ...reply, to: ['not an address'] },
    { ...reply, cc: ['a@b', 'x'] },
    { ...reply, subject: 'Hi\r\nBcc: everyone@example.org' },
    { ...reply, references: ['<a@b>\n'] },
    { ...reply, to: ['evil\u202Egnp.exe@example.org'] },
    { ...reply, subject: 'Invoice \u200B' },
    { ...reply, from: 'alice@example.test\u0000' },
    { to: ['x@example.org'] },
  ]) {
    const error = await rejectionOf(w.service.send(alice.id, bad));
    expect(error.code).toBe('ERR_INPUT_INVALID');
  }
  expect(w.sender.logins).toEqual([]);
});

test('a temporary refusal is the error as it is (retryable), with no notification; an unknown fault is ERR_INTERNAL', async () => {
  const w = world();
  const alice = await w.account({ mailbox: 'alice@example.test' });
  w.sender.failures.push(new PluginError('ERR_SMTP_TEMPORARY', 'The SMTP server answered "421 4.3.2 busy"'));
  const temporary = await rejectionOf(w.service.send(alice.id, reply));
  expect(temporary.code).toBe('ERR_SMTP_TEMPORARY');
  expect(temporary.info.retryable).toBe(true);
  expect(w.notify.sent).toEqual([]);
  w.sender.failures.push(new TypeError('boom') as unknown as PluginError);
  expect((await rejectionOf(w.service.send(alice.id, reply))).code).toBe('ERR_INTERNAL');
  expect(await w.eventTypes(alice.id)).toEqual(
    expect.arrayContaining(['send_failed:ERR_SMTP_TEMPORARY', 'send_failed:ERR_INTERNAL']),
  );
});

test('the transport lists the accounts that send, with their From address', async () => {
  const w = world();
  const alice = await w.account({ mailbox: 'alice@example.test' });
  const help = await w.account({ mailbox: 'help@example.test', smtp: { ...SENDING, from: 'team@example.test' } });
  await w.account({ mailbox: 'quiet@example.test', smtp: { ...SENDING, enabled: false } });
  const transport = smtpTransport(w.service);
  expect(transport.id).toBe('oauth2-mail.smtp');
  expect(await transport.senders()).toEqual([
    { accountId: alice.id, address: 'alice@example.test', title: 'alice@example.test' },
    { accountId: help.id, address: 'team@example.test', title: 'help@example.test' },
  ]);
  await expect(transport.send(alice.id, reply)).resolves.toMatchObject({ messageId: '<r-1@example.test>' });
});
