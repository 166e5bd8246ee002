/** The one fake of the OAuthClient port: records every call and answers what the test scripts. */
import { PluginError } from '../../../plugin/errors';
import type {
  JsonWebKeySet,
  OAuthClient,
  OAuthClientConfig,
  ProviderMetadata,
  TokenSet,
} from '../../../plugin/ports/oauth-client';

/** An OAuth client whose answers the test scripts. */
export class ScriptedOAuthClient implements OAuthClient {
  refreshCalls: Array<{ refreshToken: string; scope?: string | null }> = [];
  exchangeCalls: Array<{ code: string; redirectUri: string; codeVerifier: string }> = [];
  revokeCalls: Array<{ token: string; tokenTypeHint: string; url: string | null }> = [];
  authorizeParams: Array<Record<string, string>> = [];
  onRefresh: (grant: { refreshToken: string; scope?: string | null }, call: number) => Promise<TokenSet> = async () => {
    throw new Error('no refresh scripted');
  };
  onExchange: (grant: { code: string; codeVerifier: string }) => Promise<TokenSet> = async () => {
    throw new Error('no exchange scripted');
  };
  onRevoke: () => Promise<void> = async () => undefined;
  jwks: JsonWebKeySet = { keys: [] };
  userinfo: Record<string, unknown> | null = null;
  discovery: ProviderMetadata | null = null;

  authorizationUrl(config: OAuthClientConfig, params: Readonly<Record<string, string>>): string {
    this.authorizeParams.push({ ...params });
    const url = new URL(config.endpoints.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', config.clientId);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }
  async exchangeCode(
    _config: OAuthClientConfig,
    grant: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  ): Promise<TokenSet> {
    this.exchangeCalls.push({ ...grant });
    return this.onExchange(grant);
  }
  async refresh(
    _config: OAuthClientConfig,
    grant: { readonly refreshToken: string; readonly scope?: string | null },
  ): Promise<TokenSet> {
    this.refreshCalls.push({ ...grant });
    return this.onRefresh(grant, this.refreshCalls.length);
  }
  async revoke(
    config: OAuthClientConfig,
    token: { readonly token: string; readonly tokenTypeHint: 'refresh_token' | 'access_token' },
  ): Promise<void> {
    this.revokeCalls.push({ ...token, url: config.endpoints.revocationUrl });
    return this.onRevoke();
  }
  async discover(): Promise<ProviderMetadata> {
    if (!this.discovery) throw new PluginError('ERR_PROVIDER_CONFIG', 'no discovery scripted');
    return this.discovery;
  }
  async fetchJwks(): Promise<JsonWebKeySet> {
    return this.jwks;
  }
  async fetchUserinfo(): Promise<Readonly<Record<string, unknown>>> {
    if (!this.userinfo) throw new PluginError('ERR_PROVIDER_UNAVAILABLE', 'no userinfo');
    return this.userinfo;
  }
}
