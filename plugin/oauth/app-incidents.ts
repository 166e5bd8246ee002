/**
 * App-level incidents (docs/architecture.md#failure-semantics): the provider refused the app registration itself
 * (client id or secret, tenant, configuration: a code whose status is `app_error`). Like an account incident it is
 * reported once: one notification for the app (key per app + code) naming the mailboxes it stops, recorded on the
 * app; the accounts with a grant say why they cannot poll (status `app_error`); accounts that were never connected
 * have no grant to fail and stay as they are. The next token request of the app that succeeds closes it: every
 * account of the app is back to its own state and the notification is resolved.
 */
import { ERROR_CODES, type PluginError } from '../errors';
import type { AccountRepository, AccountStatus, MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort, NotifyPort } from '../ports/host';
import { ROUTE_PATHS } from '../admin/admin-paths';
import { accountIncidentKey, type AccountIncidents } from './account-incidents';
import { connectedDetail } from './identity';

/** The notification key of an app incident: one per app and code. */
export function appIncidentKey(appId: string, code: string): string {
  return `oauth2-mail:app:${appId}:${code}`;
}

/** True for a code that names a fault of the app registration (status `app_error` in the error table). */
export function isAppLevelCode(code: string | null): boolean {
  return (
    code !== null &&
    Object.prototype.hasOwnProperty.call(ERROR_CODES, code) &&
    ERROR_CODES[code as keyof typeof ERROR_CODES].status === 'app_error'
  );
}

/** Statuses an app incident replaces: the account has a grant and nothing more specific stops it. */
const STOPPED_BY_THE_APP: ReadonlySet<AccountStatus> = new Set<AccountStatus>(['connected', 'retrying', 'app_error']);

/** How many mailboxes a notification names before "and N more". */
const NAMED_MAILBOXES = 10;

/** Dependencies of {@link AppIncidents}. */
export interface AppIncidentsDeps {
  readonly apps: Pick<AppRepository, 'find' | 'openIncident' | 'closeIncident'>;
  readonly accounts: Pick<AccountRepository, 'list' | 'setStatus'>;
  /** Events of the accounts (never fatal). */
  readonly accountIncidents: Pick<AccountIncidents, 'record'>;
  readonly notify: NotifyPort;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/** The words an account in the app's incident shows. */
function stoppedDetail(app: AppRegistration, error: PluginError): string {
  return (
    `The provider refused the app registration "${app.name}" at a token request: ${error.message} ` +
    'No mailbox of this app gets a new access token until that is fixed; each fetches again by itself ' +
    'after the next token request of the app that succeeds.'
  );
}

/** "3 mailboxes: a, b, c" (the first {@link NAMED_MAILBOXES}, then "and N more"). */
function mailboxList(accounts: readonly MailAccount[]): string {
  const names = accounts.slice(0, NAMED_MAILBOXES).map((account) => account.mailbox);
  const more = accounts.length > NAMED_MAILBOXES ? ` and ${accounts.length - NAMED_MAILBOXES} more` : '';
  return `${accounts.length} ${accounts.length === 1 ? 'mailbox' : 'mailboxes'}: ${names.join(', ')}${more}`;
}

/** Opens and closes app incidents. */
export class AppIncidents {
  /** @param deps - repositories, account events, notifications, clock, logger */
  constructor(private readonly deps: AppIncidentsDeps) {}

  /**
   * A token request of `origin` ended with an app-level error: the app's incident is opened (or its code changes),
   * the accounts it stops take `app_error`, the admin is notified once for the app.
   * @param origin - the account whose token request saw it
   */
  async failed(origin: MailAccount, error: PluginError): Promise<void> {
    await this.deps.accountIncidents.record('auth_failed', origin, error.code, error.message);
    const app = await this.deps.apps.find(origin.appId);
    if (!app) return;
    const previous = app.incident;
    const stopped = (await this.deps.accounts.list({ appId: app.id })).filter(
      (account) => account.id === origin.id || (account.enabled && STOPPED_BY_THE_APP.has(account.status)),
    );
    const detail = stoppedDetail(app, error);
    for (const account of stopped) {
      if (account.status === 'app_error' && account.statusCode === error.code) continue;
      await this.deps.accounts.setStatus(account.id, {
        status: 'app_error',
        statusCode: error.code,
        statusDetail: detail,
      });
      await this.deps.accountIncidents.record(
        'status_changed',
        account,
        error.code,
        `Status ${account.status} -> app_error: the app registration "${app.name}" was refused ` +
          `(${ERROR_CODES[error.code].message})`,
      );
      // Its own incident (a mail-side one) gives way to the app's; the next poll raises it again if it is still there.
      if (account.statusCode && !isAppLevelCode(account.statusCode))
        await this.safely(() => this.deps.notify.resolve(accountIncidentKey(account.id, account.statusCode!)));
    }
    // Whoever opens it (one of several processes seeing the same refusal) notifies; a repeat only records events.
    const opened = await this.deps.apps.openIncident(app.id, {
      code: error.code,
      detail: error.message,
      since: this.deps.clock.now(),
    });
    if (!opened) return;
    if (previous && previous.code !== error.code)
      await this.safely(() => this.deps.notify.resolve(appIncidentKey(app.id, previous.code)));
    const info = ERROR_CODES[error.code];
    await this.safely(() =>
      this.deps.notify.notify({
        key: appIncidentKey(app.id, error.code),
        severity: 'error',
        title: `App registration ${app.name}: ${info.message}`,
        message: `${error.message} It stops ${mailboxList(stopped)}. What to do: ${info.fix}`,
        path: ROUTE_PATHS.accounts,
      }),
    );
  }

  /**
   * A token request of `origin` succeeded: when its app has an open incident (or `origin` still shows one), it is
   * closed and every account of the app in `app_error` is connected again.
   * @returns `origin` as stored now
   */
  async recovered(origin: MailAccount): Promise<MailAccount> {
    const app = await this.deps.apps.find(origin.appId);
    if (!app || (app.incident === null && !(origin.status === 'app_error' && isAppLevelCode(origin.statusCode))))
      return origin;
    const codes = new Set<string>(app.incident ? [app.incident.code] : []);
    if (app.incident) await this.deps.apps.closeIncident(app.id);
    let current = origin;
    for (const account of await this.deps.accounts.list({ appId: app.id })) {
      if (account.status !== 'app_error' || !isAppLevelCode(account.statusCode)) {
        if (account.id === origin.id) current = account;
        continue;
      }
      codes.add(account.statusCode!);
      const updated = await this.deps.accounts.setStatus(account.id, {
        status: 'connected',
        statusCode: null,
        statusDetail: connectedDetail(account.authorizedIdentity, account.mailbox),
      });
      if (account.id === origin.id) current = updated;
      await this.deps.accountIncidents.record(
        'status_changed',
        account,
        null,
        `Status app_error -> connected: the app registration "${app.name}" works again.`,
      );
      // A notification per account is what an earlier version opened for an app error: close it too.
      await this.safely(() => this.deps.notify.resolve(accountIncidentKey(account.id, account.statusCode!)));
    }
    for (const code of codes) await this.safely(() => this.deps.notify.resolve(appIncidentKey(app.id, code)));
    this.deps.logger.info('oauth2-mail: app registration works again', { appId: app.id });
    return current;
  }

  /** True while the app has an open incident. */
  async isOpen(appId: string): Promise<boolean> {
    return ((await this.deps.apps.find(appId))?.incident ?? null) !== null;
  }

  private async safely(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.deps.logger.warn('oauth2-mail: could not send or resolve a notification', {
        code: (error as { code?: unknown }).code ?? null,
        error: (error as Error).message,
      });
    }
  }
}
