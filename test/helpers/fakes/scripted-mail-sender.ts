/** The one fake of MailSender: records what it would send, refuses tokens it was not given, fails on demand. */
import { PluginError } from '../../../plugin/errors';
import type { SendResult } from '../../../plugin/ports/host';
import type { MailSender, SmtpEndpoint, SmtpLogin, SubmittableMessage } from '../../../plugin/ports/mail-sender';

/** One submission the fake accepted. */
export interface SubmittedMessage {
  readonly endpoint: SmtpEndpoint;
  readonly user: string;
  readonly message: SubmittableMessage;
}

/** A sender whose server accepts only `acceptedTokens` and fails the next calls with `failures`. */
export class ScriptedMailSender implements MailSender {
  readonly acceptedTokens = new Set<string>();
  readonly sent: SubmittedMessage[] = [];
  /** Logins tried, accepted or not (the access tokens themselves). */
  readonly logins: string[] = [];
  /** Failures for the next calls, in order (after a successful login). */
  readonly failures: PluginError[] = [];

  async send(endpoint: SmtpEndpoint, login: SmtpLogin, message: SubmittableMessage): Promise<SendResult> {
    this.#login(login);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ endpoint, user: login.user, message });
    const messageId = message.messageId ?? `<fake-${this.sent.length}@example.test>`;
    return { messageId, response: '250 2.0.0 OK queued', accepted: [...message.to], rejected: [] };
  }

  async verify(_endpoint: SmtpEndpoint, login: SmtpLogin): Promise<void> {
    this.#login(login);
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  #login(login: SmtpLogin): void {
    this.logins.push(login.accessToken);
    if (!this.acceptedTokens.has(login.accessToken))
      throw new PluginError('ERR_SMTP_AUTH_FAILED', 'The SMTP server answered "535 5.7.8 Authentication failed."', {
        smtpCode: 535,
      });
  }
}
