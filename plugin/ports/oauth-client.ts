/**
 * Talking to an OAuth2 / OpenID Connect provider (a port, docs/architecture.md#parts); implemented by
 * adapters/simple-oauth2.
 *
 * Everything here is the plugin's own vocabulary: no library type crosses this port. Failures are
 * {@link PluginError}s whose `details` are secret-free: `httpStatus`, `providerError` (the OAuth `error`),
 * `providerCodes` (AADSTS numbers as strings), `suberror` and `providerDescription` (first line of
 * `error_description`). The adapter picks a base code from the HTTP exchange and RFC 6749 §5.2; the provider
 * behaviour in plugin/oauth refines it (for example AADSTS7000222 -> ERR_CLIENT_SECRET_EXPIRED).
 */
import { PluginError, type ErrorDetails } from '../errors';

/** Where a provider's endpoints live, as resolved by the core (presets, overrides or discovery). */
export interface OAuthEndpoints {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** RFC 7009 revocation endpoint; null when the provider has none (Microsoft). */
  readonly revocationUrl: string | null;
  readonly userinfoUrl: string | null;
  readonly jwksUri: string | null;
  /** The expected `iss` of ID tokens; may contain Microsoft's `{tenantid}` placeholder. */
  readonly issuer: string | null;
  /** RFC 8628 device authorization endpoint; null or absent when the provider has none known. */
  readonly deviceAuthorizationUrl?: string | null;
}

/**
 * How the client proves itself at the token endpoint: a secret (RFC 6749 §2.3.1, in the body or a Basic header)
 * or a client assertion signed with the app's certificate key (RFC 7523 §2.2, `private_key_jwt`).
 */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

/** One app registration as the OAuth client needs it. */
export interface OAuthClientConfig {
  readonly endpoints: OAuthEndpoints;
  readonly clientId: string;
  /** Plaintext; the adapter never logs it nor puts it in an error. Empty with `private_key_jwt`. */
  readonly clientSecret: string;
  readonly clientAuthMethod: ClientAuthMethod;
  /**
   * `private_key_jwt`: the signed client assertion sent instead of any secret (`aud` the token endpoint, a few
   * minutes valid, single use).
   */
  readonly clientAssertion?: string | null;
}

/** A started device authorization (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  /** Secret: whoever holds it gets the tokens once the user approves. Never logged, shown or stored in plain text. */
  readonly deviceCode: string;
  readonly userCode: string;
  /** Where the user enters the code (Google calls it `verification_url`). */
  readonly verificationUri: string;
  readonly verificationUriComplete: string | null;
  readonly expiresInSeconds: number;
  /** Seconds between polls (5 when the provider does not say). */
  readonly intervalSeconds: number;
  /** The provider's own instruction text, if it sends one. */
  readonly message: string | null;
}

/** One poll of a device code: still waiting, polled too fast, or the tokens. Denied and expired codes throw. */
export type DevicePoll =
  | { readonly status: 'pending' }
  | { readonly status: 'slow_down' }
  | { readonly status: 'tokens'; readonly tokens: TokenSet };

/** The tokens of one successful token response. */
export interface TokenSet {
  readonly accessToken: string;
  /** Null when the response carried none (Google on refresh): the caller keeps the one it has. */
  readonly refreshToken: string | null;
  /** Epoch ms, computed from `expires_in` with the adapter's clock. */
  readonly expiresAt: number;
  readonly scope: string | null;
  readonly idToken: string | null;
  readonly tokenType: string;
}

/** The fields of an OpenID Connect discovery document (or RFC 8414 metadata) the plugin uses. */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly revocationEndpoint: string | null;
  readonly userinfoEndpoint: string | null;
  readonly jwksUri: string | null;
  /** Empty when the document does not say. */
  readonly tokenEndpointAuthMethods: readonly string[];
  /**
   * `authorization_response_iss_parameter_supported` (RFC 9207): the provider names itself (`iss`) on every
   * redirect back, so a redirect without it did not come from this provider. Absent means false.
   */
  readonly authorizationResponseIssParameterSupported?: boolean;
  /** RFC 8628; absent or null when the document does not name one. */
  readonly deviceAuthorizationEndpoint?: string | null;
}

/** A JSON Web Key Set as published at `jwks_uri`. */
export interface JsonWebKeySet {
  readonly keys: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** The OAuth2 client: authorization URL, token endpoint, revocation, discovery, keys and userinfo. */
export interface OAuthClient {
  /**
   * The URL the admin's browser is sent to: `response_type=code` and `client_id` plus every parameter given.
   * @throws PluginError ERR_PROVIDER_CONFIG when the authorize URL is not a valid URL
   */
  authorizationUrl(config: OAuthClientConfig, params: Readonly<Record<string, string>>): string;
  /**
   * Redeems an authorization code (with its PKCE verifier).
   * @throws PluginError ERR_GRANT_INVALID | ERR_CLIENT_INVALID | ERR_PROVIDER_CONFIG | ERR_PROVIDER_UNAVAILABLE | ERR_TOKEN_RESPONSE_INVALID | …
   */
  exchangeCode(
    config: OAuthClientConfig,
    grant: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  ): Promise<TokenSet>;
  /**
   * Uses a refresh token. `refreshToken` of the result is null when the provider sent none.
   * @throws PluginError as {@link OAuthClient.exchangeCode}
   */
  refresh(
    config: OAuthClientConfig,
    grant: { readonly refreshToken: string; readonly scope?: string | null },
  ): Promise<TokenSet>;
  /**
   * A token for the app itself (client credentials, RFC 6749 §4.4): no refresh token, ever.
   * @param grant - `scope`, e.g. `https://outlook.office365.com/.default`; null sends none
   * @throws PluginError as {@link OAuthClient.exchangeCode}
   */
  clientCredentials(config: OAuthClientConfig, grant: { readonly scope: string | null }): Promise<TokenSet>;
  /**
   * The JWT bearer grant (RFC 7523 §2.1) at `tokenUrl`: the assertion is the credential, no client authentication
   * is sent (Google service accounts).
   * @throws PluginError as {@link OAuthClient.exchangeCode}
   */
  jwtBearer(tokenUrl: string, grant: { readonly assertion: string }): Promise<TokenSet>;
  /**
   * Starts the device authorization grant at `config.endpoints.deviceAuthorizationUrl`.
   * @throws PluginError ERR_PROVIDER_CONFIG (no endpoint, refused) | ERR_CLIENT_INVALID | ERR_PROVIDER_UNAVAILABLE | ERR_TOKEN_RESPONSE_INVALID
   */
  startDeviceAuthorization(
    config: OAuthClientConfig,
    request: { readonly scope: string },
  ): Promise<DeviceAuthorization>;
  /**
   * Polls the token endpoint for a device code once.
   * @throws PluginError ERR_AUTHORIZATION_DENIED (declined) | ERR_DEVICE_CODE_EXPIRED | as {@link OAuthClient.exchangeCode}
   */
  pollDeviceAuthorization(config: OAuthClientConfig, grant: { readonly deviceCode: string }): Promise<DevicePoll>;
  /**
   * RFC 7009 revocation at `config.endpoints.revocationUrl`.
   * @throws PluginError ERR_REVOCATION_FAILED when the provider does not confirm it (or has no endpoint)
   */
  revoke(
    config: OAuthClientConfig,
    token: { readonly token: string; readonly tokenTypeHint: 'refresh_token' | 'access_token' },
  ): Promise<void>;
  /**
   * OpenID Connect discovery of `issuerUrl` (`/.well-known/openid-configuration`).
   * @throws PluginError ERR_PROVIDER_CONFIG (not found, not a discovery document, issuer mismatch) | ERR_PROVIDER_UNAVAILABLE
   */
  discover(issuerUrl: string): Promise<ProviderMetadata>;
  /** @throws PluginError ERR_PROVIDER_UNAVAILABLE | ERR_PROVIDER_CONFIG */
  fetchJwks(jwksUri: string): Promise<JsonWebKeySet>;
  /**
   * The OpenID Connect userinfo claims for `accessToken`.
   * @throws PluginError ERR_PROVIDER_UNAVAILABLE | ERR_PROVIDER_CONFIG | ERR_GRANT_INVALID
   */
  fetchUserinfo(userinfoUrl: string, accessToken: string): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * ERR_TOKEN_RESPONSE_INVALID for an answer that was unusable (say `expires_in: "abc"`) but still carried a new
 * refresh token: a provider that rotates refresh tokens has already retired the old one, so dropping the new one
 * would lose the grant. The token sits in a private field, so it never reaches a log line, a JSON body or an
 * enumeration of the error's properties; only {@link UnusableTokenResponseError.issuedRefreshToken} reads it.
 */
export class UnusableTokenResponseError extends PluginError {
  readonly #issuedRefreshToken: string;

  /**
   * @param detail - what was wrong with the answer (never the token)
   * @param issuedRefreshToken - the refresh token found in the answer
   * @param details - secret-free facts
   * @param options - `cause` for the log
   */
  constructor(detail: string, issuedRefreshToken: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super('ERR_TOKEN_RESPONSE_INVALID', detail, details, options);
    this.#issuedRefreshToken = issuedRefreshToken;
  }

  /** The refresh token the unusable answer carried. */
  get issuedRefreshToken(): string {
    return this.#issuedRefreshToken;
  }
}
