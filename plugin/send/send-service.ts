/**
 * Sending through a mail account: the account's SMTP settings, a fresh access token from the token service, one
 * retry with a forced refresh when the server refuses the token, the outcome in the event log, and one
 * notification per sending incident that needs an admin (resolved by the next message that leaves). Sending never
 * changes the account's status, which describes fetching; a dead grant is the token service's to report.
 */
import { isPluginError, PluginError, type PluginErrorCode } from '../errors';
import type { AccessTokenProvider } from '../oauth/access-token-provider';
import { ROUTE_PATHS } from '../admin/admin-paths';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { EventLog } from '../ports/event-log';
import type { LoggerPort, NotifyPort, OutboundMessage, SendResult } from '../ports/host';
import type { MailSender, SmtpEndpoint, SmtpLogin } from '../ports/mail-sender';
import { checkOutboundMessage } from './outbound-message-check';

/** Failures an admin must act on for the account as a whole (not one message): they open a notification. */
const ACCOUNT_LEVEL_CODES: ReadonlySet<PluginErrorCode> = new Set<PluginErrorCode>([
  'ERR_SMTP_AUTH_FAILED',
  'ERR_SMTP_AUTH_DISABLED',
  'ERR_SMTP_SENDER_REFUSED',
  'ERR_MAIL_TLS',
  'ERR_MAIL_TLS_MODE',
]);

/** The notification key of a sending incident (apart from the fetching incidents, which use the same codes). */
export function sendingIncidentKey(accountId: string, code: string): string {
  return `oauth2-mail:account:${accountId}:sending:${code}`;
}

/** Dependencies of {@link SendService}. */
export interface SendServiceDeps {
  readonly accounts: AccountRepository;
  readonly tokens: AccessTokenProvider;
  readonly sender: MailSender;
  readonly events: EventLog;
  readonly notify: NotifyPort;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  /** Extra trusted CA (PEM) for the mail servers, as for IMAP. */
  readonly caCertPem: string | null;
  /** Bound of one SMTP phase. */
  readonly timeoutMs: number;
}

/** Sends replies through mail accounts. */
export class SendService {
  /** @param deps - repositories, token service, sender, event log, notifications */
  constructor(private readonly deps: SendServiceDeps) {}

  /** The accounts with sending switched on. */
  async senders(): Promise<MailAccount[]> {
    return (await this.deps.accounts.list()).filter((account) => account.smtp.enabled && account.enabled);
  }

  /**
   * Sends one message through the account.
   * @throws PluginError ERR_NOT_FOUND | ERR_INPUT_INVALID (sending off, a bad address) | a token error of the token
   *   service | an ERR_SMTP_* / ERR_MAIL_* code of the sender; `info.retryable` says whether trying later can help
   */
  async send(accountId: string, message: OutboundMessage): Promise<SendResult> {
    const account = await this.#sendingAccount(accountId);
    const from = message.from ?? account.smtp.from ?? account.mailbox;
    checkOutboundMessage({ ...message, from });
    try {
      const result = await this.#withToken(account, (login) =>
        this.deps.sender.send(this.#endpoint(account), login, { ...message, from }),
      );
      await this.#record(account, 'mail_sent', null, `Sent ${result.messageId} (${result.response.slice(0, 80)}).`);
      await this.#resolveIncidents(account);
      return result;
    } catch (thrown) {
      const error = isPluginError(thrown) ? thrown : new PluginError('ERR_INTERNAL', undefined, {}, { cause: thrown });
      await this.#failed(account, error);
      throw error;
    }
  }

  /**
   * Logs in over SMTP without sending (Test connection).
   * @throws PluginError as {@link SendService.send}
   */
  async verify(accountId: string): Promise<void> {
    const account = await this.#sendingAccount(accountId);
    await this.#withToken(account, (login) => this.deps.sender.verify(this.#endpoint(account), login));
  }

  async #sendingAccount(accountId: string): Promise<MailAccount & { smtp: { host: string; port: number } }> {
    const account = await this.deps.accounts.find(accountId);
    if (!account) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
    const { smtp } = account;
    if (!smtp.enabled || !smtp.host || !smtp.port || !account.enabled) {
      const why = account.enabled ? 'sending is switched off for it' : 'the account is disabled';
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Mail account ${account.mailbox} cannot send: ${why}. Switch sending on in the account's settings.`,
        { accountId, field: 'smtpEnabled' },
      );
    }
    return account as MailAccount & { smtp: { host: string; port: number } };
  }

  #endpoint(account: MailAccount & { smtp: { host: string; port: number } }): SmtpEndpoint {
    const { host, port, tls } = account.smtp;
    return { host, port, tls: tls ?? 'starttls', caCertPem: this.deps.caCertPem, timeoutMs: this.deps.timeoutMs };
  }

  /**
   * Runs `attempt` with the account's token; when the server refuses it, once more with a forced refresh (the
   * stored token may have been revoked early, or issued before sending was switched on).
   */
  async #withToken<T>(account: MailAccount, attempt: (login: SmtpLogin) => Promise<T>): Promise<T> {
    // The SASL user is whoever the token belongs to: for a shared mailbox the delegate, who sends "as" it.
    const user = account.sharedViaDelegate && account.authorizedIdentity ? account.authorizedIdentity : account.mailbox;
    const first = await this.deps.tokens.getAccessToken(account.id);
    try {
      return await attempt({ user, accessToken: first.accessToken });
    } catch (error) {
      if (!isPluginError(error) || error.code !== 'ERR_SMTP_AUTH_FAILED') throw error;
      this.deps.logger.info('SMTP server refused the access token; refreshing it once', { accountId: account.id });
      const fresh = await this.deps.tokens.getAccessToken(account.id, { forceRefresh: true });
      return attempt({ user, accessToken: fresh.accessToken });
    }
  }

  async #failed(account: MailAccount, error: PluginError): Promise<void> {
    this.deps.logger.warn('sending failed', { accountId: account.id, code: error.code });
    await this.#record(account, 'send_failed', error.code, error.message);
    if (!ACCOUNT_LEVEL_CODES.has(error.code)) return;
    await this.#safely(() =>
      this.deps.notify.notify({
        key: sendingIncidentKey(account.id, error.code),
        severity: 'error',
        title: `Replies from ${account.mailbox} cannot be sent`,
        message: `${error.message} What to do: ${error.info.fix}`,
        path: ROUTE_PATHS.account(account.id),
      }),
    );
  }

  async #resolveIncidents(account: MailAccount): Promise<void> {
    for (const code of ACCOUNT_LEVEL_CODES) {
      await this.#safely(() => this.deps.notify.resolve(sendingIncidentKey(account.id, code)));
    }
  }

  async #record(account: MailAccount, type: 'mail_sent' | 'send_failed', code: string | null, message: string) {
    await this.#safely(() =>
      this.deps.events.record({
        at: this.deps.clock.now(),
        type,
        accountId: account.id,
        appId: account.appId,
        actorId: null,
        code,
        message,
      }),
    );
  }

  /** Bookkeeping never turns a sent message into a failure, nor hides the real failure. */
  async #safely(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.logger.warn('could not record a sending outcome', {
        code: isPluginError(error) ? error.code : 'ERR_INTERNAL',
      });
    }
  }
}
