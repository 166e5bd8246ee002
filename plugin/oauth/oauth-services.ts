/**
 * Builds the OAuth core from its ports in one place, so the composition root (plugin/main.ts) stays small and
 * tests assemble exactly what production runs.
 */
import type { PluginConfig } from '../config';
import type { AccountRepository } from '../ports/account-repository';
import type { AppRepository } from '../ports/app-repository';
import type { AuthRequestRepository } from '../ports/auth-request-repository';
import type { Clock } from '../ports/clock';
import type { EventLog } from '../ports/event-log';
import type { LoggerPort, NotifyPort } from '../ports/host';
import type { MailFetcher } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import type { OAuthClient } from '../ports/oauth-client';
import type { TokenRepository } from '../ports/token-repository';
import { AccountService } from '../accounts/account-service';
import { AccountIncidents } from './account-incidents';
import { AppIncidents } from './app-incidents';
import { AppConnectService } from './app-connect-service';
import { AppService } from './app-service';
import { AppTokens } from './app-tokens';
import { AuthorizationService } from './authorization-service';
import { DeviceSignInService } from './device-sign-in-service';
import { DisconnectService } from './disconnect-service';
import { IdentityCheck } from './identity-check';
import { KeepAlive } from './keep-alive';
import { EndpointResolver } from './providers/endpoint-resolver';
import { TokenService, type TokenServiceOptions } from './token-service';
import { visibleNotifications } from '../visible-notifications';

/** What the OAuth core is built from. */
export interface OAuthServicesDeps {
  readonly repositories: {
    readonly apps: AppRepository;
    readonly accounts: AccountRepository;
    readonly tokens: TokenRepository;
    readonly authRequests: AuthRequestRepository;
    readonly events: EventLog;
  };
  readonly notify: NotifyPort;
  readonly logger: LoggerPort;
  readonly clock: Clock;
  readonly oauthClient: OAuthClient;
  readonly mailFetcher: MailFetcher;
  /** The POP3 client: Connect's mailbox proof of POP3 accounts. */
  readonly pop3Fetcher?: Pop3Fetcher;
  /** The exact redirect URI (host.routes.publicUrl('/callback')), read at every Connect. */
  readonly redirectUri: string | (() => string);
  readonly config: Pick<PluginConfig, 'token' | 'allowInsecureLoopback' | 'allowPrivateNetworks'>;
  /** Extra CA for the mail server login that proves a delegate's access. */
  readonly mailCaCertPem?: string | null;
  /** Overrides of the token service's tuning (tests). */
  readonly tokenOptions?: TokenServiceOptions;
  /** How the device sign-in waits between polls (tests). */
  readonly deviceSleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The OAuth core. */
export interface OAuthServices {
  readonly endpoints: EndpointResolver;
  readonly incidents: AccountIncidents;
  /** One incident per app for app-level errors (the poll cycle reports through it too). */
  readonly appIncidents: AppIncidents;
  /** Implements AccessTokenProvider for the poll cycle. */
  readonly tokenService: TokenService;
  /** Runs once per poll cycle (FetchCycle `beforeCycle`). */
  readonly keepAlive: KeepAlive;
  readonly authorization: AuthorizationService;
  /** Connect of app-only and service-account accounts (no browser). */
  readonly appConnect: AppConnectService;
  /** Connect with a code (device flow) of delegated accounts. */
  readonly deviceSignIns: DeviceSignInService;
  readonly disconnect: DisconnectService;
  readonly apps: AppService;
  readonly accounts: AccountService;
}

/**
 * Wires the OAuth core.
 * @param deps - repositories, host services, adapters, config
 * @example
 * const oauth = createOAuthServices({ repositories, notify: host.notify, logger, clock: systemClock, oauthClient: new SimpleOAuth2Client(), mailFetcher, redirectUri: () => host.routes.publicUrl('/callback'), config });
 */
export function createOAuthServices(deps: OAuthServicesDeps): OAuthServices {
  const { repositories: repos, clock, logger } = deps;
  const notify = visibleNotifications(deps.notify);
  const { allowInsecureLoopback, allowPrivateNetworks } = deps.config;
  const endpoints = new EndpointResolver({
    oauthClient: deps.oauthClient,
    clock,
    allowInsecureLoopback,
    allowPrivateNetworks,
  });
  const incidents = new AccountIncidents({
    accounts: repos.accounts,
    events: repos.events,
    notify,
    clock,
    logger,
  });
  const appIncidents = new AppIncidents({
    apps: repos.apps,
    accounts: repos.accounts,
    accountIncidents: incidents,
    notify: deps.notify,
    clock,
    logger,
  });
  const appTokens = new AppTokens({
    oauthClient: deps.oauthClient,
    apps: repos.apps,
    endpoints,
    clock,
    allowInsecureLoopback,
  });
  const tokenService = new TokenService({
    tokens: repos.tokens,
    accounts: repos.accounts,
    apps: repos.apps,
    oauthClient: deps.oauthClient,
    endpoints,
    appTokens,
    incidents,
    appIncidents,
    clock,
    logger,
    options: {
      refreshSkewMs: deps.config.token.refreshSkewSeconds * 1000,
      leaseMs: deps.config.token.httpTimeoutSeconds * 1000 * 2 + 15_000,
      ...deps.tokenOptions,
    },
  });
  const forget = (accountId: string) => tokenService.forget(accountId);
  const keepAlive = new KeepAlive({
    accounts: repos.accounts,
    apps: repos.apps,
    notify,
    tokens: repos.tokens,
    tokenService,
    incidents,
    clock,
    logger,
    keepAliveDays: deps.config.token.keepAliveDays,
  });
  const authorization = new AuthorizationService({
    accounts: repos.accounts,
    apps: repos.apps,
    authRequests: repos.authRequests,
    tokens: repos.tokens,
    oauthClient: deps.oauthClient,
    endpoints,
    mailFetcher: deps.mailFetcher,
    ...(deps.pop3Fetcher ? { pop3Fetcher: deps.pop3Fetcher } : {}),
    incidents,
    appIncidents,
    clock,
    logger,
    redirectUri: deps.redirectUri,
    mailCaCertPem: deps.mailCaCertPem ?? null,
    onTokensReplaced: forget,
  });
  const identityCheck = new IdentityCheck({
    oauthClient: deps.oauthClient,
    mailFetcher: deps.mailFetcher,
    ...(deps.pop3Fetcher ? { pop3Fetcher: deps.pop3Fetcher } : {}),
    clock,
    logger,
    mailCaCertPem: deps.mailCaCertPem ?? null,
  });
  const appConnect = new AppConnectService({
    accounts: repos.accounts,
    apps: repos.apps,
    tokens: repos.tokens,
    appTokens,
    identityCheck,
    incidents,
    appIncidents,
    clock,
    onTokensReplaced: forget,
  });
  const deviceSignIns = new DeviceSignInService({
    accounts: repos.accounts,
    apps: repos.apps,
    tokens: repos.tokens,
    oauthClient: deps.oauthClient,
    endpoints,
    identityCheck,
    incidents,
    appIncidents,
    clock,
    logger,
    onTokensReplaced: forget,
    sleep: deps.deviceSleep,
  });
  const disconnect = new DisconnectService({
    accounts: repos.accounts,
    apps: repos.apps,
    tokens: repos.tokens,
    oauthClient: deps.oauthClient,
    endpoints,
    incidents,
    clock,
    onTokensReplaced: forget,
  });
  const apps = new AppService({
    apps: repos.apps,
    accounts: repos.accounts,
    events: repos.events,
    clock,
    allowInsecureLoopback,
    allowPrivateNetworks,
    endpoints,
  });
  const accounts = new AccountService({
    accounts: repos.accounts,
    apps: repos.apps,
    events: repos.events,
    clock,
    logger,
    authorization,
    appConnect,
    deviceSignIns,
    disconnect,
    allowInsecureLoopback,
    allowPrivateNetworks,
  });
  return {
    endpoints,
    incidents,
    appIncidents,
    tokenService,
    keepAlive,
    authorization,
    appConnect,
    deviceSignIns,
    disconnect,
    apps,
    accounts,
  };
}
