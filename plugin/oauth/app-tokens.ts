/**
 * The app's own access tokens (docs/architecture.md#auth-modes): client credentials for an `app_only` account
 * (Microsoft: the tenant's token endpoint with the Exchange `.default` scope), the JWT bearer grant for a
 * `service_account` account (a Google service account acting for the mailbox). Neither has a refresh token: a new
 * token is requested before the old one expires, by the token service under the same single flight and lease as a
 * refresh.
 */
import { PluginError, toPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { OAuthClient, TokenSet } from '../ports/oauth-client';
import { authenticatedClientConfig } from './client-authentication';
import { explainCredentialError } from './credential-errors';
import { providerFor } from './providers';
import type { EndpointResolver } from './providers/endpoint-resolver';
import { assertProviderUrl } from './providers/url-policy';
import { appTokenScope } from './scopes';
import { createServiceAccountAssertion } from './service-account-assertion';

/** Dependencies of {@link AppTokens}. */
export interface AppTokensDeps {
  readonly oauthClient: OAuthClient;
  readonly apps: Pick<AppRepository, 'clientSecret' | 'privateKey'>;
  readonly endpoints: Pick<EndpointResolver, 'resolve'>;
  readonly clock: Clock;
  /** Plugin config `allowInsecureLoopback` (a key file's token_uri passes the same URL policy as every endpoint). */
  readonly allowInsecureLoopback: boolean;
}

/** Requests app tokens. */
export class AppTokens {
  /** @param deps - OAuth client, credentials, endpoint resolver, clock, URL policy */
  constructor(private readonly deps: AppTokensDeps) {}

  /**
   * A new access token for an `app_only` or `service_account` account.
   * @throws PluginError from the token endpoint, classified by provider and credential (ERR_CLIENT_INVALID,
   *   ERR_CLIENT_ASSERTION_REFUSED, ERR_DELEGATION_DENIED, ERR_APP_MAILBOX_ACCESS_DENIED, ERR_PROVIDER_CONFIG, …)
   */
  async request(app: AppRegistration, account: MailAccount): Promise<TokenSet> {
    try {
      return account.authMode === 'service_account'
        ? await this.serviceAccountToken(app, account)
        : await this.clientCredentialsToken(app);
    } catch (thrown) {
      const classified = providerFor(app.provider).classify(toPluginError(thrown));
      throw explainCredentialError(app, classified, this.deps.clock.now());
    }
  }

  private async clientCredentialsToken(app: AppRegistration): Promise<TokenSet> {
    if (app.credentialType === 'service_account')
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        `App "${app.name}" holds a service account key, which cannot get app-only tokens; use a client secret or a certificate.`,
        { appId: app.id },
      );
    const resolved = await this.deps.endpoints.resolve(app);
    const config = await authenticatedClientConfig(this.deps, app, resolved);
    return this.deps.oauthClient.clientCredentials(config, { scope: appTokenScope(app) });
  }

  private async serviceAccountToken(app: AppRegistration, account: MailAccount): Promise<TokenSet> {
    if (app.credentialType !== 'service_account' || !app.serviceAccountEmail)
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        `Mailbox ${account.mailbox} uses a service account, but app "${app.name}" holds no service account key.`,
        { appId: app.id, accountId: account.id },
      );
    const scope = appTokenScope(app);
    if (!scope)
      throw new PluginError('ERR_PROVIDER_CONFIG', `App "${app.name}" names no scope for its service-account tokens.`, {
        appId: app.id,
        field: 'appTokenScope',
      });
    const tokenUrl = app.serviceAccountTokenUrl ?? (await this.deps.endpoints.resolve(app)).endpoints.tokenUrl;
    try {
      assertProviderUrl(tokenUrl, 'serviceAccountTokenUrl', this.deps.allowInsecureLoopback);
    } catch (error) {
      throw new PluginError('ERR_PROVIDER_CONFIG', `App "${app.name}": ${(error as Error).message}`, { appId: app.id });
    }
    const assertion = await createServiceAccountAssertion({
      email: app.serviceAccountEmail,
      keyId: app.serviceAccountKeyId,
      privateKeyPem: await this.deps.apps.privateKey(app.id),
      subject: account.mailbox,
      scope,
      audience: tokenUrl,
      now: this.deps.clock.now(),
    });
    return this.deps.oauthClient.jwtBearer(tokenUrl, { assertion });
  }
}
