/**
 * Counts every token request by grant and result (`ok` or the error code) around the real OAuth client: the
 * metrics see exactly the requests that left, whatever service made them (Connect, refresh, keep-alive, app tokens).
 */
import { toPluginError } from '../errors';
import type { MetricsPort, TokenGrant } from '../ports/metrics';
import type { OAuthClient } from '../ports/oauth-client';

async function counted<T>(
  metrics: Pick<MetricsPort, 'tokenRequest'>,
  grant: TokenGrant,
  request: () => Promise<T>,
  isFinal: (result: T) => boolean = () => true,
): Promise<T> {
  try {
    const result = await request();
    if (isFinal(result)) metrics.tokenRequest(grant, 'ok');
    return result;
  } catch (error) {
    metrics.tokenRequest(grant, toPluginError(error).code);
    throw error;
  }
}

/**
 * The OAuth client with its token requests counted.
 * @param client - the real client
 * @param metrics - where the counts go
 */
export function meteredOAuthClient(client: OAuthClient, metrics: Pick<MetricsPort, 'tokenRequest'>): OAuthClient {
  return {
    authorizationUrl: (config, params) => client.authorizationUrl(config, params),
    exchangeCode: (config, grant) => counted(metrics, 'authorization_code', () => client.exchangeCode(config, grant)),
    refresh: (config, grant) => counted(metrics, 'refresh_token', () => client.refresh(config, grant)),
    clientCredentials: (config, grant) =>
      counted(metrics, 'client_credentials', () => client.clientCredentials(config, grant)),
    jwtBearer: (tokenUrl, grant) => counted(metrics, 'jwt_bearer', () => client.jwtBearer(tokenUrl, grant)),
    startDeviceAuthorization: (config, request) => client.startDeviceAuthorization(config, request),
    // A pending answer is the device flow waiting for the user, not a request that got (or failed to get) tokens.
    pollDeviceAuthorization: (config, grant) =>
      counted(
        metrics,
        'device_code',
        () => client.pollDeviceAuthorization(config, grant),
        (poll) => poll.status === 'tokens',
      ),
    revoke: (config, token) => client.revoke(config, token),
    discover: (issuerUrl) => client.discover(issuerUrl),
    fetchJwks: (jwksUri) => client.fetchJwks(jwksUri),
    fetchUserinfo: (userinfoUrl, accessToken) => client.fetchUserinfo(userinfoUrl, accessToken),
  };
}
