/**
 * Status changes of an account with their event and notification: one notification per incident
 * (key per account + code), resolved when the account is connected again.
 */
import { ERROR_CODES, type PluginError, type PluginErrorCode } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { EventLog, EventType } from '../ports/event-log';
import type { LoggerPort, NotifyPort } from '../ports/host';
import { ROUTE_PATHS } from '../admin/admin-paths';

/** The codes the OAuth core sets on an account; only those are cleared when a token works again. */
export const TOKEN_STATUS_CODES: ReadonlySet<string> = new Set<PluginErrorCode>([
  'ERR_NOT_CONNECTED',
  'ERR_GRANT_INVALID',
  'ERR_CONSENT_REQUIRED',
  'ERR_INTERACTION_REQUIRED',
  'ERR_CLIENT_INVALID',
  'ERR_CLIENT_SECRET_EXPIRED',
  'ERR_CLIENT_ASSERTION_REFUSED',
  'ERR_CLIENT_CERTIFICATE_EXPIRED',
  'ERR_DELEGATION_DENIED',
  'ERR_PROVIDER_CONFIG',
  'ERR_PROVIDER_UNAVAILABLE',
  'ERR_PROVIDER_TLS',
  'ERR_TOKEN_RESPONSE_INVALID',
]);

/** The notification key of an account incident: one per account and code (the poll cycle's incidents use it too). */
export function accountIncidentKey(accountId: string, code: string): string {
  return `oauth2-mail:account:${accountId}:${code}`;
}

/** Dependencies of {@link AccountIncidents}. */
export interface AccountIncidentsDeps {
  readonly accounts: AccountRepository;
  readonly events: EventLog;
  readonly notify: NotifyPort;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/** Records what happened to an account where the admin will see it. */
export class AccountIncidents {
  /** @param deps - repositories, notifications, clock, logger */
  constructor(private readonly deps: AccountIncidentsDeps) {}

  /**
   * An error ended an attempt: the account takes the error's status (if the table gives one), an event is
   * recorded and, on a new incident, the admin is notified once.
   * @returns the account as stored now
   */
  async failed(account: MailAccount, error: PluginError, eventType: EventType = 'auth_failed'): Promise<MailAccount> {
    const status = error.info.status;
    const sameIncident = account.status === status && account.statusCode === error.code;
    await this.record(eventType, account, error.code, error.message);
    if (status === null || sameIncident) return account;
    const updated = await this.deps.accounts.setStatus(account.id, {
      status,
      statusCode: error.code,
      statusDetail: error.message,
    });
    await this.record(
      'status_changed',
      account,
      error.code,
      `Status ${account.status} -> ${status}: ${ERROR_CODES[error.code].message}`,
    );
    if (account.statusCode && account.statusCode !== error.code)
      await this.safely(() => this.deps.notify.resolve(accountIncidentKey(account.id, account.statusCode!)));
    await this.safely(() =>
      this.deps.notify.notify({
        key: accountIncidentKey(account.id, error.code),
        severity: status === 'retrying' ? 'warning' : 'error',
        title: `Mailbox ${account.mailbox}: ${ERROR_CODES[error.code].message}`,
        message: `${error.message} ${ERROR_CODES[error.code].fix}`,
        path: ROUTE_PATHS.accounts,
      }),
    );
    return updated;
  }

  /**
   * The account works again (or was just connected): status `connected`, the open incident resolved.
   * @param onlyFromCodes - when given, a status whose code is not in it is left alone (someone else owns it)
   */
  async recovered(
    account: MailAccount,
    change: {
      readonly detail?: string | null;
      readonly authorizedIdentity?: string | null;
      readonly onlyFromCodes?: ReadonlySet<string>;
    } = {},
  ): Promise<MailAccount> {
    if (change.onlyFromCodes) {
      // The token service only clears what the OAuth core set; a mail-side status belongs to the poll cycle.
      if (
        account.status === 'connected' ||
        account.statusCode === null ||
        !change.onlyFromCodes.has(account.statusCode)
      )
        return account;
    }
    const updated = await this.deps.accounts.setStatus(account.id, {
      status: 'connected',
      statusCode: null,
      statusDetail: change.detail ?? null,
      ...(change.authorizedIdentity !== undefined ? { authorizedIdentity: change.authorizedIdentity } : {}),
    });
    if (account.status !== 'connected')
      await this.record('status_changed', account, null, `Status ${account.status} -> connected.`);
    if (account.statusCode)
      await this.safely(() => this.deps.notify.resolve(accountIncidentKey(account.id, account.statusCode!)));
    return updated;
  }

  /** Closes the open incident of an account without changing its status (e.g. after Disconnect). */
  async resolveOpen(account: MailAccount): Promise<void> {
    if (account.statusCode)
      await this.safely(() => this.deps.notify.resolve(accountIncidentKey(account.id, account.statusCode!)));
  }

  /** Records an event; an event that cannot be written is logged, never fatal. */
  async record(
    type: EventType,
    account: Pick<MailAccount, 'id' | 'appId'>,
    code: string | null,
    message: string,
    actorId: string | null = null,
  ): Promise<void> {
    await this.safely(() =>
      this.deps.events.record({
        at: this.deps.clock.now(),
        type,
        accountId: account.id,
        appId: account.appId,
        actorId,
        code,
        message,
      }),
    );
  }

  private async safely(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.deps.logger.warn('oauth2-mail: could not record an event or notification', {
        code: (error as { code?: unknown }).code ?? null,
        error: (error as Error).message,
      });
    }
  }
}
