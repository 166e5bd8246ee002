/**
 * The OAuthClient port over simple-oauth2 5.1.0 (token endpoint, authorization URL, revocation) plus a small
 * CA-aware HTTP client for discovery, JWKS and userinfo. simple-oauth2's types and Boom errors stay in here.
 *
 * simple-oauth2 traps handled here (docs/providers.md#simple-oauth2-traps): no default HTTP timeout (we always set
 * one); the refresh-token loss on refresh (we return `refreshToken: null` and the token service keeps the old one);
 * `authorizationMethod` chosen from the app (`client_secret_post` -> 'body'); params objects declared before
 * the call so the typings accept PKCE keys. simple-oauth2 always sends a client secret (an empty one when there is
 * none), so every request authenticated by a client assertion, the client-credentials, JWT bearer and device grants
 * go out as plain form POSTs (form-token-request.ts) that carry exactly their own parameters.
 */
import { AuthorizationCode, type ModuleOptions } from 'simple-oauth2';
import { z } from 'zod';
import { visibleText } from '../../lib/visible-text';
import { isPluginError, PluginError } from '../../plugin/errors';
import { systemClock, type Clock } from '../../plugin/ports/clock';
import {
  UnusableTokenResponseError,
  type DeviceAuthorization,
  type DevicePoll,
  type JsonWebKeySet,
  type OAuthClient,
  type OAuthClientConfig,
  type ProviderMetadata,
  type TokenSet,
} from '../../plugin/ports/oauth-client';
import { httpRequest, isJsonMediaType, type HttpResponse } from '../http/http-request';
import type { ResolveAll } from '../../lib/net/guarded-lookup';
import { trustedAgentFor, type AgentGuard } from '../http/trusted-agent';
import { parseDeviceAuthorization } from './device-authorization-response';
import { FormTokenRequest, type FormAnswer, type FormClientAuth } from './form-token-request';
import { errorFromAnswer, errorFromBoom, providerTransportError } from './provider-error';
import { parseTokenResponse } from './token-response';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Options of {@link SimpleOAuth2Client}. */
export interface SimpleOAuth2ClientOptions {
  /** Timeout of every request to the provider (simple-oauth2 has none by default). Default 15 s. */
  readonly timeoutMs?: number;
  /** Extra trusted CA certificate(s), PEM, besides the system store and NODE_EXTRA_CA_CERTS. */
  readonly caCertPem?: string | null;
  readonly clock?: Clock;
  /** Plugin config `allowPrivateNetworks`: whether provider host names may resolve into a private network. */
  readonly allowPrivateNetworks?: boolean;
  /** Seam for tests: the resolver behind the guarded lookup (default dns.lookup). */
  readonly resolveAll?: ResolveAll;
}

const DiscoveryDocument = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  revocation_endpoint: z.string().url().optional(),
  userinfo_endpoint: z.string().url().optional(),
  jwks_uri: z.string().url().optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  authorization_response_iss_parameter_supported: z.boolean().optional(),
  device_authorization_endpoint: z.string().url().optional(),
});

const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** Trailing slashes do not make two issuers different for our comparison; everything else does. */
function normalizeIssuer(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** {@link OAuthClient} over simple-oauth2. */
export class SimpleOAuth2Client implements OAuthClient {
  private readonly timeoutMs: number;
  private readonly caCertPem: string | null;
  private readonly clock: Clock;
  private readonly guard: AgentGuard;
  private readonly forms: FormTokenRequest;

  /** @param options - timeout, extra CA, clock, network policy */
  constructor(options: SimpleOAuth2ClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.caCertPem = options.caCertPem ?? null;
    this.clock = options.clock ?? systemClock;
    this.guard = {
      network: { allowPrivateNetworks: options.allowPrivateNetworks ?? false },
      ...(options.resolveAll ? { resolveAll: options.resolveAll } : {}),
    };
    this.forms = new FormTokenRequest({ timeoutMs: this.timeoutMs, caCertPem: this.caCertPem, guard: this.guard });
  }

  /** @inheritdoc */
  authorizationUrl(config: OAuthClientConfig, params: Readonly<Record<string, string>>): string {
    const authorize = this.parseUrl(config.endpoints.authorizeUrl, 'authorize URL');
    const client = this.grantClient(config, authorize);
    const query: Record<string, string> = { ...params };
    return client.authorizeURL(query);
  }

  /** @inheritdoc */
  async exchangeCode(
    config: OAuthClientConfig,
    grant: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  ): Promise<TokenSet> {
    const tokenUrl = this.parseUrl(config.endpoints.tokenUrl, 'token URL');
    const params = { code: grant.code, redirect_uri: grant.redirectUri, code_verifier: grant.codeVerifier };
    if (config.clientAuthMethod === 'private_key_jwt')
      return this.formToken(config, { grant_type: 'authorization_code', ...params });
    const client = this.grantClient(config, tokenUrl);
    let raw: unknown;
    try {
      raw = (await client.getToken(params)).token;
    } catch (error) {
      throw errorFromBoom('The token endpoint', error);
    }
    return parseTokenResponse(stripExpiresAt(raw), this.clock.now());
  }

  /** @inheritdoc */
  async refresh(
    config: OAuthClientConfig,
    grant: { readonly refreshToken: string; readonly scope?: string | null },
  ): Promise<TokenSet> {
    const tokenUrl = this.parseUrl(config.endpoints.tokenUrl, 'token URL');
    const params: { scope?: string } = grant.scope ? { scope: grant.scope } : {};
    let raw: unknown;
    if (config.clientAuthMethod === 'private_key_jwt') {
      raw = await this.formAnswer(config, {
        grant_type: 'refresh_token',
        refresh_token: grant.refreshToken,
        ...params,
      });
    } else {
      const client = this.grantClient(config, tokenUrl);
      try {
        const stored = client.createToken({ refresh_token: grant.refreshToken });
        const next = await stored.refresh(params);
        raw = next.token;
      } catch (error) {
        throw errorFromBoom('The token endpoint', error);
      }
    }
    // simple-oauth2 5.1.0 copies `this.refresh_token` (always undefined) when the answer has none: that is "none".
    try {
      return parseTokenResponse(stripExpiresAt(raw), this.clock.now());
    } catch (error) {
      const issued = (raw as { refresh_token?: unknown } | null)?.refresh_token;
      // A rotating provider has retired the old refresh token by now: hand the new one over so the grant survives.
      if (typeof issued !== 'string' || issued.length === 0 || !isPluginError(error)) throw error;
      throw new UnusableTokenResponseError(error.message, issued, error.details, { cause: error.cause });
    }
  }

  /** @inheritdoc */
  async revoke(
    config: OAuthClientConfig,
    token: { readonly token: string; readonly tokenTypeHint: 'refresh_token' | 'access_token' },
  ): Promise<void> {
    if (!config.endpoints.revocationUrl) {
      throw new PluginError('ERR_REVOCATION_FAILED', 'The provider has no revocation endpoint.', { unsupported: true });
    }
    const revocationUrl = this.parseUrl(config.endpoints.revocationUrl, 'revocation URL');
    if (config.clientAuthMethod === 'private_key_jwt') {
      const params = { token: token.token, token_type_hint: token.tokenTypeHint };
      const answer = await this.forms.post('The revocation endpoint', revocationUrl.href, params, clientAuthOf(config));
      if (answer.status >= 200 && answer.status < 300) return;
      const mapped = FormTokenRequest.errorOf('The revocation endpoint', answer);
      throw new PluginError('ERR_REVOCATION_FAILED', mapped.message, mapped.details);
    }
    const client = this.grantClient(config, revocationUrl);
    const stored = client.createToken({ [token.tokenTypeHint]: token.token });
    try {
      // RFC 7009 answers 200 with an empty body of any content type: do not insist on JSON.
      await stored.revoke(token.tokenTypeHint, {
        json: false,
        agent: trustedAgentFor(revocationUrl, this.caCertPem, this.guard),
        timeout: this.timeoutMs,
      });
    } catch (error) {
      const mapped = errorFromBoom('The revocation endpoint', error);
      throw new PluginError('ERR_REVOCATION_FAILED', mapped.message, mapped.details);
    }
  }

  /** @inheritdoc */
  async clientCredentials(config: OAuthClientConfig, grant: { readonly scope: string | null }): Promise<TokenSet> {
    return this.formToken(config, { grant_type: 'client_credentials', ...(grant.scope ? { scope: grant.scope } : {}) });
  }

  /** @inheritdoc */
  async jwtBearer(tokenUrl: string, grant: { readonly assertion: string }): Promise<TokenSet> {
    const url = this.parseUrl(tokenUrl, 'token URL');
    const answer = await this.forms.post(
      'The token endpoint',
      url.href,
      { grant_type: JWT_BEARER_GRANT, assertion: grant.assertion },
      null,
    );
    if (answer.status < 200 || answer.status >= 300) throw FormTokenRequest.errorOf('The token endpoint', answer);
    return parseTokenResponse(answer.body, this.clock.now());
  }

  /** @inheritdoc */
  async startDeviceAuthorization(
    config: OAuthClientConfig,
    request: { readonly scope: string },
  ): Promise<DeviceAuthorization> {
    const endpoint = config.endpoints.deviceAuthorizationUrl;
    if (!endpoint)
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        'The provider has no device authorization endpoint known (enter one in the app registration).',
        { field: 'deviceAuthorizationUrl' },
      );
    const url = this.parseUrl(endpoint, 'device authorization URL');
    const what = 'The device authorization endpoint';
    const params = { client_id: config.clientId, scope: request.scope };
    const answer = await this.forms.post(what, url.href, params, clientAuthOf(config));
    if (answer.status < 200 || answer.status >= 300) throw FormTokenRequest.errorOf(what, answer);
    return parseDeviceAuthorization(answer.body);
  }

  /** @inheritdoc */
  async pollDeviceAuthorization(
    config: OAuthClientConfig,
    grant: { readonly deviceCode: string },
  ): Promise<DevicePoll> {
    const tokenUrl = this.parseUrl(config.endpoints.tokenUrl, 'token URL');
    const params = { grant_type: DEVICE_CODE_GRANT, device_code: grant.deviceCode, client_id: config.clientId };
    const answer = await this.forms.post('The token endpoint', tokenUrl.href, params, clientAuthOf(config));
    if (answer.status >= 200 && answer.status < 300)
      return { status: 'tokens', tokens: parseTokenResponse(answer.body, this.clock.now()) };
    const error = (answer.body as { error?: unknown } | undefined)?.error;
    if (answer.status === 400 && error === 'authorization_pending') return { status: 'pending' };
    if (answer.status === 400 && error === 'slow_down') return { status: 'slow_down' };
    throw FormTokenRequest.errorOf('The token endpoint', answer);
  }

  /** @inheritdoc */
  async discover(issuerUrl: string): Promise<ProviderMetadata> {
    const issuer = this.parseUrl(issuerUrl, 'issuer URL');
    const url = `${normalizeIssuer(issuer.toString())}/.well-known/openid-configuration`;
    const body = await this.getJson('The discovery document', url);
    const parsed = DiscoveryDocument.safeParse(body);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
      const message = `${url} is not an OpenID Connect discovery document (${fields}).`;
      throw new PluginError('ERR_PROVIDER_CONFIG', message, { url });
    }
    const doc = parsed.data;
    if (normalizeIssuer(doc.issuer) !== normalizeIssuer(issuerUrl) && !doc.issuer.includes('{tenantid}')) {
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        `The discovery document of ${issuerUrl} names another issuer (${visibleText(doc.issuer.slice(0, 200))}).`,
        { url },
      );
    }
    return {
      issuer: doc.issuer,
      authorizationEndpoint: doc.authorization_endpoint,
      tokenEndpoint: doc.token_endpoint,
      revocationEndpoint: doc.revocation_endpoint ?? null,
      userinfoEndpoint: doc.userinfo_endpoint ?? null,
      jwksUri: doc.jwks_uri ?? null,
      tokenEndpointAuthMethods: doc.token_endpoint_auth_methods_supported ?? [],
      authorizationResponseIssParameterSupported: doc.authorization_response_iss_parameter_supported === true,
      deviceAuthorizationEndpoint: doc.device_authorization_endpoint ?? null,
    };
  }

  /** @inheritdoc */
  async fetchJwks(jwksUri: string): Promise<JsonWebKeySet> {
    const body = await this.getJson('The key set (jwks_uri)', jwksUri);
    const parsed = Jwks.safeParse(body);
    if (!parsed.success)
      throw new PluginError('ERR_PROVIDER_CONFIG', `${jwksUri} is not a JSON Web Key Set.`, { url: jwksUri });
    return parsed.data;
  }

  /** @inheritdoc */
  async fetchUserinfo(userinfoUrl: string, accessToken: string): Promise<Readonly<Record<string, unknown>>> {
    const response = await this.send('The userinfo endpoint', {
      method: 'GET',
      url: userinfoUrl,
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    if (response.status === 401)
      throw new PluginError('ERR_GRANT_INVALID', 'The userinfo endpoint refused the new access token.', {
        httpStatus: 401,
      });
    const body = this.readJson('The userinfo endpoint', response);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new PluginError('ERR_PROVIDER_CONFIG', 'The userinfo endpoint did not answer with a JSON object.', {
        httpStatus: response.status,
      });
    }
    return body as Record<string, unknown>;
  }

  /** A token request as a plain form POST; the answer's JSON, or the mapped error. */
  private async formAnswer(config: OAuthClientConfig, params: Readonly<Record<string, string>>): Promise<unknown> {
    const tokenUrl = this.parseUrl(config.endpoints.tokenUrl, 'token URL');
    const answer: FormAnswer = await this.forms.post('The token endpoint', tokenUrl.href, params, clientAuthOf(config));
    if (answer.status < 200 || answer.status >= 300) throw FormTokenRequest.errorOf('The token endpoint', answer);
    return answer.body;
  }

  private async formToken(config: OAuthClientConfig, params: Readonly<Record<string, string>>): Promise<TokenSet> {
    return parseTokenResponse(await this.formAnswer(config, params), this.clock.now());
  }

  private parseUrl(value: string, what: string): URL {
    try {
      return new URL(value);
    } catch {
      throw new PluginError('ERR_PROVIDER_CONFIG', `The ${what} is not a valid URL.`, { field: what });
    }
  }

  /** A simple-oauth2 client whose "host" is the origin of `target`; paths are absolute URLs, which Wreck resolves as such. */
  private grantClient(config: OAuthClientConfig, target: URL): AuthorizationCode {
    const authorize = this.parseUrl(config.endpoints.authorizeUrl, 'authorize URL');
    const options: ModuleOptions = {
      client: { id: config.clientId, secret: config.clientSecret },
      auth: {
        tokenHost: target.origin,
        tokenPath: config.endpoints.tokenUrl,
        revokePath: config.endpoints.revocationUrl ?? config.endpoints.tokenUrl,
        authorizeHost: authorize.origin,
        authorizePath: `${authorize.pathname}${authorize.search}`,
      },
      options: { authorizationMethod: config.clientAuthMethod === 'client_secret_post' ? 'body' : 'header' },
      http: {
        timeout: this.timeoutMs,
        agent: trustedAgentFor(target, this.caCertPem, this.guard),
        maxBytes: 1024 * 1024,
      },
    };
    try {
      return new AuthorizationCode(options);
    } catch {
      // Joi's message would echo the options, secret included: say which part is wrong instead.
      throw new PluginError(
        'ERR_PROVIDER_CONFIG',
        'The app registration cannot be used for OAuth2 ' +
          '(client id, client secret or endpoint URLs contain characters OAuth2 does not allow).',
        {},
      );
    }
  }

  private async send(
    what: string,
    request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> },
  ): Promise<HttpResponse> {
    this.parseUrl(request.url, `${what} URL`);
    try {
      return await httpRequest({ ...request, timeoutMs: this.timeoutMs, caCertPem: this.caCertPem, guard: this.guard });
    } catch (error) {
      throw providerTransportError(what, error);
    }
  }

  private async getJson(what: string, url: string): Promise<unknown> {
    return this.readJson(what, await this.send(what, { method: 'GET', url }));
  }

  private readJson(what: string, response: HttpResponse): unknown {
    let body: unknown = undefined;
    if (isJsonMediaType(response.mediaType) && response.body.length > 0) {
      try {
        body = JSON.parse(response.body.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    if (response.status >= 400) {
      const mapped = errorFromAnswer(what, response.status, body);
      // A missing discovery document or key set is a configuration problem, not an outage.
      throw response.status === 404
        ? new PluginError(
            'ERR_PROVIDER_CONFIG',
            `${what} was not found (HTTP 404): check the issuer URL.`,
            mapped.details,
          )
        : mapped;
    }
    if (body === undefined) {
      throw new PluginError(
        response.status >= 300 ? 'ERR_PROVIDER_CONFIG' : 'ERR_PROVIDER_UNAVAILABLE',
        `${what} answered HTTP ${response.status} without JSON.`,
        { httpStatus: response.status, problem: 'not_json' },
      );
    }
    return body;
  }
}

/** The client authentication of a form request, from the app's configuration. */
function clientAuthOf(config: OAuthClientConfig): FormClientAuth {
  return {
    method: config.clientAuthMethod,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clientAssertion: config.clientAssertion ?? null,
  };
}

/** simple-oauth2 adds `expires_at` (a Date) to every token; we compute expiry ourselves from `expires_in`. */
function stripExpiresAt(token: unknown): unknown {
  if (typeof token !== 'object' || token === null) return token;
  const { expires_at: _ignored, ...rest } = token as Record<string, unknown>;
  return rest;
}
