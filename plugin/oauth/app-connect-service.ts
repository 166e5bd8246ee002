/**
 * Connect for accounts that use the app's own token (docs/architecture.md#auth-modes): no browser. A token is
 * requested (client credentials, or the service account's JWT bearer grant for the mailbox) and the mailbox is
 * logged in to with it before anything is stored; a refused login is explained as the app's missing access to the
 * mailbox (Exchange: the service principal and its FullAccess permission).
 */
import { appOfAccount, findAccount } from './account-app';
import { PluginError, toPluginError } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { TokenRepository } from '../ports/token-repository';
import type { AccountIncidents } from './account-incidents';
import type { AppIncidents } from './app-incidents';
import type { AppTokens } from './app-tokens';
import { explainAppMailboxRefusal } from './credential-errors';
import { storeGrant, type ConnectResult } from './grant-storage';
import type { IdentityCheck } from './identity-check';

/** Dependencies of {@link AppConnectService}. */
export interface AppConnectServiceDeps {
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly tokens: TokenRepository;
  readonly appTokens: Pick<AppTokens, 'request'>;
  readonly identityCheck: Pick<IdentityCheck, 'proveMailbox'>;
  readonly incidents: AccountIncidents;
  readonly appIncidents: Pick<AppIncidents, 'recovered'>;
  readonly clock: Clock;
  readonly onTokensReplaced?: (accountId: string) => void;
}

/** The status line of an account connected with the app's own token. */
export function appConnectedDetail(account: MailAccount, app: AppRegistration): string {
  const how =
    account.authMode === 'service_account'
      ? `service account ${app.serviceAccountEmail ?? app.clientId} acting for it`
      : `the app's own token (app-only) of "${app.name}"`;
  return `Connected to mailbox ${account.mailbox} with ${how}.`;
}

/** Connects app-only and service-account accounts. */
export class AppConnectService {
  /** @param deps - repositories, app tokens, the mailbox login, incidents, clock */
  constructor(private readonly deps: AppConnectServiceDeps) {}

  /**
   * Obtains a token and proves the mailbox opens with it; stores it only then.
   * @param actorId - who asked (events)
   * @throws PluginError ERR_NOT_FOUND | ERR_INPUT_INVALID (a delegated account) | the token endpoint's refusal |
   *   ERR_APP_MAILBOX_ACCESS_DENIED | another mail server error
   */
  async connect(accountId: string, actorId: string | null): Promise<ConnectResult> {
    const account = await findAccount(this.deps.accounts, accountId);
    if (account.authMode === 'delegated')
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Mailbox ${account.mailbox} is connected by a person signing in (Connect in a browser, or with a code).`,
        { accountId, fields: ['authMode'] },
      );
    const app = await appOfAccount(this.deps.apps, account);
    await this.deps.incidents.record(
      'connect_started',
      account,
      null,
      `Connect started for mailbox ${account.mailbox}.`,
      actorId,
    );
    try {
      const tokens = await this.deps.appTokens.request(app, account);
      try {
        await this.deps.identityCheck.proveMailbox(account, tokens.accessToken);
      } catch (thrown) {
        throw explainAppMailboxRefusal(toPluginError(thrown), account.mailbox);
      }
      return await storeGrant(this.deps, account, tokens, {
        authorizedIdentity: null,
        delegate: false,
        actorId,
        message: appConnectedDetail(account, app),
        via: '(mailbox login proven)',
        expectRefreshToken: false,
      });
    } catch (thrown) {
      const error = toPluginError(thrown);
      await this.deps.incidents.record('auth_failed', account, error.code, `Connect failed: ${error.message}`, actorId);
      throw error;
    }
  }
}
