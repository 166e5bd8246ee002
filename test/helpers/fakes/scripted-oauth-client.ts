/** The one fake of the OAuthClient port: records every call and answers what the test scripts. */
import { PluginError } from '../../../plugin/errors';
import type {
  DeviceAuthorization,
  DevicePoll,
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
  /** Every token-endpoint call's client configuration, in order (exchange, refresh, app and device grants). */
  configs: OAuthClientConfig[] = [];
  clientCredentialsCalls: Array<{ scope: string | null }> = [];
  jwtBearerCalls: Array<{ tokenUrl: string; assertion: string }> = [];
  deviceStartCalls: Array<{ scope: string; url: string | null }> = [];
  devicePollCalls: Array<{ deviceCode: string }> = [];
  onClientCredentials: (grant: { scope: string | null }, call: number) => Promise<TokenSet> = async () => {
    throw new Error('no client credentials scripted');
  };
  onJwtBearer: (grant: { tokenUrl: string; assertion: string }, call: number) => Promise<TokenSet> = async () => {
    throw new Error('no JWT bearer grant scripted');
  };
  onDeviceStart: () => Promise<DeviceAuthorization> = async () => {
    throw new Error('no device authorization scripted');
  };
  onDevicePoll: (call: number) => Promise<DevicePoll> = async () => ({ status: 'pending' });
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
    config: OAuthClientConfig,
    grant: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  ): Promise<TokenSet> {
    this.configs.push(config);
    this.exchangeCalls.push({ ...grant });
    return this.onExchange(grant);
  }
  async refresh(
    config: OAuthClientConfig,
    grant: { readonly refreshToken: string; readonly scope?: string | null },
  ): Promise<TokenSet> {
    this.configs.push(config);
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
  async clientCredentials(config: OAuthClientConfig, grant: { readonly scope: string | null }): Promise<TokenSet> {
    this.configs.push(config);
    this.clientCredentialsCalls.push({ ...grant });
    return this.onClientCredentials(grant, this.clientCredentialsCalls.length);
  }
  async jwtBearer(tokenUrl: string, grant: { readonly assertion: string }): Promise<TokenSet> {
    this.jwtBearerCalls.push({ tokenUrl, ...grant });
    return this.onJwtBearer({ tokenUrl, ...grant }, this.jwtBearerCalls.length);
  }
  async startDeviceAuthorization(
    config: OAuthClientConfig,
    request: { readonly scope: string },
  ): Promise<DeviceAuthorization> {
    this.configs.push(config);
    this.deviceStartCalls.push({ scope: request.scope, url: config.endpoints.deviceAuthorizationUrl ?? null });
    return this.onDeviceStart();
  }
  async pollDeviceAuthorization(
    config: OAuthClientConfig,
    grant: { readonly deviceCode: string },
  ): Promise<DevicePoll> {
    this.configs.push(config);
    this.devicePollCalls.push({ ...grant });
    return this.onDevicePoll(this.devicePollCalls.length);
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
