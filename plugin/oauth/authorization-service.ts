/**
 * Connect (docs/architecture.md#connect): the authorization request with `state` (only its hash
 * stored, single use, 10 minutes, bound to the admin who started it), PKCE S256 and a nonce; the callback with
 * every failure named; the identity check; the tokens stored only when the mailbox is proven to be reachable.
 */
import { findAccountWithApp } from './account-app';
import { visibleText } from '../../lib/visible-text';
import { PluginError, toPluginError } from '../errors';
import type { AccountRepository } from '../ports/account-repository';
import type { AppRepository } from '../ports/app-repository';
import type { AuthRequestRepository } from '../ports/auth-request-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import type { MailFetcher } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import type { OAuthClient, TokenSet } from '../ports/oauth-client';
import type { TokenRepository } from '../ports/token-repository';
import type { AccountIncidents } from './account-incidents';
import type { AppIncidents } from './app-incidents';
import { authenticatedClientConfig, publicClientConfig } from './client-authentication';
import { explainCredentialError } from './credential-errors';
import { storeGrant, type ConnectResult } from './grant-storage';
import { IdentityCheck } from './identity-check';
import { createNonce, createPkce, createState, hashState } from './pkce';
import { providerFor } from './providers';
import type { ResolvedEndpoints, EndpointResolver } from './providers/endpoint-resolver';
export type { ConnectResult } from './grant-storage';
import { classifyStandard } from './providers/oauth-error-codes';
import { requestedScopes } from './scopes';

/** How long a started Connect stays valid. */
export const AUTH_REQUEST_TTL_MS = 10 * 60 * 1000;

/** The query parameters of the redirect back from the provider. */
export interface CallbackParams {
  readonly state?: string;
  readonly code?: string;
  readonly error?: string;
  readonly error_description?: string;
  /** RFC 9207 issuer identification, when the provider sends it. */
  readonly iss?: string;
}

/** Dependencies of {@link AuthorizationService}. */
export interface AuthorizationServiceDeps {
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly authRequests: AuthRequestRepository;
  readonly tokens: TokenRepository;
  readonly oauthClient: OAuthClient;
  readonly endpoints: EndpointResolver;
  /** Proves access to the mailbox when the signed-in identity is not the mailbox. */
  readonly mailFetcher: MailFetcher;
  /** The same proof for POP3 accounts. */
  readonly pop3Fetcher?: Pop3Fetcher;
  readonly incidents: AccountIncidents;
  /** A Connect is a token request of the app too: when it succeeds, the app's incident is over. */
  readonly appIncidents: Pick<AppIncidents, 'recovered'>;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  /** The exact redirect URI registered at the provider (host.routes.publicUrl('/callback')); read at every Connect. */
  readonly redirectUri: string | (() => string);
  /** Extra CA for the mail server (tests, private servers). */
  readonly mailCaCertPem?: string | null;
  readonly mailTimeoutMs?: number;
  /** Called after tokens were stored or deleted, so caches forget the account (the token service's). */
  readonly onTokensReplaced?: (accountId: string) => void;
}

/** Starts and completes Connect. */
export class AuthorizationService {
  private readonly identityCheck: IdentityCheck;

  /** @param deps - repositories, OAuth client, endpoint resolver, mail fetcher, incidents, clock, logger, redirect URI */
  constructor(private readonly deps: AuthorizationServiceDeps) {
    this.identityCheck = new IdentityCheck(deps);
  }

  /**
   * Starts Connect for an account: stores the pending request and returns the provider URL to send the browser to.
   * @param accountId - the mail account
   * @param actorId - the admin who clicked Connect (the callback must come back for the same admin)
   * @throws PluginError ERR_NOT_FOUND | ERR_PROVIDER_CONFIG | ERR_PROVIDER_UNAVAILABLE (discovery)
   */
  async start(
    accountId: string,
    actorId: string,
  ): Promise<{ readonly authorizationUrl: string; readonly expiresAt: number }> {
    const { account, app } = await findAccountWithApp(this.deps.accounts, this.deps.apps, accountId);
    if (account.authMode !== 'delegated')
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Mailbox ${account.mailbox} gets the app's own tokens (${account.authMode}): it connects without a sign-in.`,
        { accountId, fields: ['authMode'] },
      );
    const resolved = await this.deps.endpoints.resolve(app);
    const scopes = requestedScopes(app, account);
    const { state, stateHash } = createState();
    const pkce = createPkce();
    const nonce = createNonce();
    const now = this.deps.clock.now();
    const redirectUri = typeof this.deps.redirectUri === 'function' ? this.deps.redirectUri() : this.deps.redirectUri;
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: scopes.join(' '),
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...providerFor(app.provider).authorizeParams(account, app),
    };
    if (scopes.includes('openid')) params.nonce = nonce;
    // A delegate signs in as themselves, not as the shared mailbox.
    if (!account.sharedViaDelegate) params.login_hint = account.mailbox;
    const authorizationUrl = this.deps.oauthClient.authorizationUrl(publicClientConfig(app, resolved), params);

    await this.deps.authRequests.purgeExpired(now - 24 * 60 * 60 * 1000).catch(() => 0);
    const expiresAt = now + AUTH_REQUEST_TTL_MS;
    await this.deps.authRequests.create({
      stateHash,
      accountId,
      actorId,
      codeVerifier: pkce.verifier,
      nonce,
      redirectUri,
      createdAt: now,
      expiresAt,
    });
    await this.deps.incidents.record(
      'connect_started',
      account,
      null,
      `Connect started for mailbox ${account.mailbox}.`,
      actorId,
    );
    return { authorizationUrl, expiresAt };
  }

  /**
   * Completes Connect from the provider's redirect. Nothing is stored unless every check passes.
   * @param params - the callback's query parameters
   * @param actorId - the signed-in admin on the callback request, when the host knows one; a different admin
   *   than the one who started Connect is refused (the state stays usable for the right one)
   * @throws PluginError ERR_STATE_UNKNOWN | ERR_STATE_EXPIRED | ERR_STATE_REPLAYED | ERR_STATE_OTHER_ADMIN |
   *   ERR_AUTHORIZATION_DENIED (or the provider's error) | ERR_AUTHORIZATION_CODE_MISSING | ERR_ID_TOKEN_INVALID |
   *   ERR_IDENTITY_MISMATCH | token endpoint errors
   */
  async complete(params: CallbackParams, actorId?: string | null): Promise<ConnectResult> {
    const state = typeof params.state === 'string' ? params.state : '';
    if (state.length === 0)
      throw new PluginError('ERR_STATE_UNKNOWN', 'The provider came back without a state parameter.', {
        reason: 'missing',
      });
    if (state.length > 512) throw new PluginError('ERR_STATE_UNKNOWN', undefined, { reason: 'malformed' });
    const stateHash = hashState(state);
    const request = await this.deps.authRequests.find(stateHash);
    const now = this.deps.clock.now();
    if (!request) throw new PluginError('ERR_STATE_UNKNOWN', undefined, { reason: 'unknown' });
    if (request.consumedAt !== null)
      throw new PluginError('ERR_STATE_REPLAYED', undefined, { accountId: request.accountId });
    if (request.expiresAt <= now)
      throw new PluginError('ERR_STATE_EXPIRED', undefined, { accountId: request.accountId });
    if (actorId && actorId !== request.actorId)
      throw new PluginError('ERR_STATE_OTHER_ADMIN', undefined, { accountId: request.accountId });
    if (!(await this.deps.authRequests.consume(stateHash, now)))
      throw new PluginError('ERR_STATE_REPLAYED', undefined, { accountId: request.accountId });

    const { account, app } = await findAccountWithApp(this.deps.accounts, this.deps.apps, request.accountId);
    const provider = providerFor(app.provider);
    try {
      if (typeof params.error === 'string' && params.error.length > 0) {
        // Anyone can put words on the redirect: they reach the page, the event and the status line only visibly.
        const description =
          typeof params.error_description === 'string'
            ? visibleText(params.error_description.split(/\r?\n/)[0]!.slice(0, 300))
            : undefined;
        const providerError = visibleText(params.error.slice(0, 100));
        const base = new PluginError(
          'ERR_AUTHORIZATION_DENIED',
          `The provider answered ${providerError}${description ? `: ${description}` : ''}.`,
          { providerError, providerDescription: description },
        );
        throw provider.classify(classifyStandard(base));
      }
      const code = typeof params.code === 'string' ? params.code : '';
      if (code.length === 0)
        throw new PluginError('ERR_AUTHORIZATION_CODE_MISSING', undefined, { accountId: account.id });

      const resolved = await this.deps.endpoints.resolve(app);
      this.checkIssuerParam(params.iss, resolved);
      let tokens: TokenSet;
      try {
        const config = await authenticatedClientConfig(this.deps, app, resolved);
        tokens = await this.deps.oauthClient.exchangeCode(config, {
          code,
          redirectUri: request.redirectUri,
          codeVerifier: request.codeVerifier,
        });
      } catch (error) {
        throw explainCredentialError(app, provider.classify(toPluginError(error)), this.deps.clock.now());
      }
      const checked = await this.identityCheck.verify(account, app.clientId, resolved, tokens, request.nonce);
      return await storeGrant(this.deps, account, tokens, {
        authorizedIdentity: checked.identity?.display ?? null,
        delegate: checked.delegate,
        actorId: request.actorId,
        expectRefreshToken: true,
      });
    } catch (thrown) {
      const error = toPluginError(thrown);
      await this.deps.incidents.record(
        'auth_failed',
        account,
        error.code,
        `Connect failed: ${error.message}`,
        request.actorId,
      );
      // The callback sends the admin to this account's page with the result.
      if (error.details.accountId !== undefined) throw error;
      throw new PluginError(error.code, error.message, { ...error.details, accountId: account.id }, { cause: error });
    }
  }

  /**
   * RFC 9207: when the provider names itself on the redirect, it must be the one we sent the admin to (mix-up
   * defence); when its discovery document says it always does, a redirect without `iss` is refused the same way,
   * since a provider that announced it would never leave it out.
   */
  private checkIssuerParam(iss: string | undefined, resolved: ResolvedEndpoints): void {
    const expected = resolved.endpoints.issuer;
    const given = typeof iss === 'string' && iss.length > 0 ? iss : null;
    if (given === null && resolved.issParameterRequired) {
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        "The redirect carried no iss parameter although the provider's discovery document announces it " +
          '(RFC 9207): it may not come from this provider.',
        { check: 'iss' },
      );
    }
    if (!given || !expected || expected.includes('{tenantid}')) return;
    if (given.replace(/\/+$/, '') !== expected.replace(/\/+$/, '')) {
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        `The redirect came from issuer ${visibleText(given.slice(0, 200))}, not from ${expected}.`,
        { check: 'iss' },
      );
    }
  }
}
