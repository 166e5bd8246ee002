/**
 * Resolves an app registration to the endpoints the OAuth client calls: the provider's preset, replaced by
 * discovery when the app has an issuer URL, then by any explicit endpoint. Every URL passes the URL policy.
 * The issuer / endpoint override works on every provider kind, so tests and the demo can imitate Microsoft
 * or Google with a local server.
 */
import { PluginError } from '../../errors';
import type { AppRegistration } from '../../ports/app-repository';
import type { Clock } from '../../ports/clock';
import type { ClientAuthMethod, OAuthClient, OAuthEndpoints, ProviderMetadata } from '../../ports/oauth-client';
import { providerFor } from './index';
import { assertProviderUrl } from './url-policy';

/** What the core needs to talk to an app's provider. */
export interface ResolvedEndpoints {
  readonly endpoints: OAuthEndpoints;
  readonly clientAuthMethod: ClientAuthMethod;
  /** Discovery says the provider sends `iss` on the redirect (RFC 9207): a callback without it is refused. */
  readonly issParameterRequired: boolean;
}

const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/**
 * A certificate app signs client assertions. A secret goes in the body (what Microsoft and Google document); Basic
 * only when the server says it is all it takes.
 */
function clientAuthMethodOf(app: AppRegistration, authMethods: readonly string[]): ClientAuthMethod {
  if (app.credentialType === 'certificate') return 'private_key_jwt';
  const basicOnly =
    authMethods.length > 0 &&
    !authMethods.includes('client_secret_post') &&
    authMethods.includes('client_secret_basic');
  return basicOnly ? 'client_secret_basic' : 'client_secret_post';
}

/** Resolves and caches (discovery documents for an hour). */
export class EndpointResolver {
  private readonly cache = new Map<string, { readonly at: number; readonly metadata: ProviderMetadata }>();

  /**
   * @param deps - the OAuth client (for discovery), clock, and the URL policy switch
   */
  constructor(
    private readonly deps: {
      readonly oauthClient: OAuthClient;
      readonly clock: Clock;
      readonly allowInsecureLoopback: boolean;
      /** Plugin config `allowPrivateNetworks` (default false). */
      readonly allowPrivateNetworks?: boolean;
    },
  ) {}

  /**
   * @param app - the registration
   * @throws PluginError ERR_PROVIDER_CONFIG (no endpoints, a URL the policy refuses) | ERR_PROVIDER_UNAVAILABLE (discovery failed)
   */
  async resolve(app: AppRegistration): Promise<ResolvedEndpoints> {
    let endpoints: OAuthEndpoints | null = providerFor(app.provider).presetEndpoints(app);
    let authMethods: readonly string[] = [];
    let issParameterRequired = false;
    if (app.issuerUrl) {
      const metadata = await this.discover(app.issuerUrl);
      authMethods = metadata.tokenEndpointAuthMethods;
      issParameterRequired = metadata.authorizationResponseIssParameterSupported === true;
      endpoints = {
        authorizeUrl: metadata.authorizationEndpoint,
        tokenUrl: metadata.tokenEndpoint,
        revocationUrl: metadata.revocationEndpoint,
        userinfoUrl: metadata.userinfoEndpoint,
        jwksUri: metadata.jwksUri,
        issuer: metadata.issuer,
        deviceAuthorizationUrl: metadata.deviceAuthorizationEndpoint ?? null,
      };
    }
    const authorizeUrl = app.authorizeUrl ?? endpoints?.authorizeUrl;
    const tokenUrl = app.tokenUrl ?? endpoints?.tokenUrl;
    if (!authorizeUrl || !tokenUrl) {
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        `App "${app.name}" has neither an issuer URL nor both an authorize and a token URL.`,
        { appId: app.id },
      );
    }
    const resolved: OAuthEndpoints = {
      authorizeUrl,
      tokenUrl,
      revocationUrl: app.revocationUrl ?? endpoints?.revocationUrl ?? null,
      userinfoUrl: app.userinfoUrl ?? endpoints?.userinfoUrl ?? null,
      jwksUri: endpoints?.jwksUri ?? null,
      issuer: endpoints?.issuer ?? null,
      deviceAuthorizationUrl: app.deviceAuthorizationUrl ?? endpoints?.deviceAuthorizationUrl ?? null,
    };
    for (const [field, value] of Object.entries(resolved)) {
      if (value === null || field === 'issuer') continue;
      try {
        assertProviderUrl(value, field, this.deps.allowInsecureLoopback, this.network());
      } catch (error) {
        throw new PluginError('ERR_PROVIDER_CONFIG', `App "${app.name}": ${(error as Error).message}`, {
          appId: app.id,
          field,
        });
      }
    }
    return { endpoints: resolved, clientAuthMethod: clientAuthMethodOf(app, authMethods), issParameterRequired };
  }

  private network(): { readonly allowPrivateNetworks: boolean } {
    return { allowPrivateNetworks: this.deps.allowPrivateNetworks ?? false };
  }

  /** Forgets cached discovery documents (after an app was edited). */
  forget(issuerUrl?: string): void {
    if (issuerUrl === undefined) this.cache.clear();
    else this.cache.delete(issuerUrl);
  }

  private async discover(issuerUrl: string): Promise<ProviderMetadata> {
    const cached = this.cache.get(issuerUrl);
    const now = this.deps.clock.now();
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.metadata;
    try {
      assertProviderUrl(issuerUrl, 'issuerUrl', this.deps.allowInsecureLoopback, this.network());
    } catch (error) {
      throw new PluginError('ERR_PROVIDER_CONFIG', (error as Error).message, { field: 'issuerUrl' });
    }
    const metadata = await this.deps.oauthClient.discover(issuerUrl);
    this.cache.set(issuerUrl, { at: now, metadata });
    return metadata;
  }
}
