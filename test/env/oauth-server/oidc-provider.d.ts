// The part of oidc-provider 9 that the test OAuth server uses. The package ships no types and
// @types/oidc-provider is not a dependency; this covers only what the server calls, as oidc-provider documents it.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** What the adapter stores for one model instance. */
  export interface AdapterPayload {
    [key: string]: unknown;
    accountId?: string;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Client {
    clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface ResourceServer {
    identifier(): string;
  }

  /** An access token, refresh token, authorization code… as the policy hooks see it. */
  export interface Token {
    kind: string;
    jti: string;
    clientId?: string;
    accountId?: string;
    scopes: Set<string>;
    resourceServer?: ResourceServer;
    /** Extra claims of an access token or client-credentials token (introspection returns them). */
    extra?: Record<string, unknown>;
  }

  /** A client-credentials token, as a grant handler mints one. */
  export interface ClientCredentialsToken extends Token {
    /** Seconds until it expires. */
    readonly expiration: number;
    save(): Promise<string>;
  }

  export interface OIDCContext {
    route?: string;
    params: Record<string, unknown>;
    entities: { AuthorizationCode?: { jti: string } };
    /** The authenticated client (token endpoint, grant handlers). */
    client: Client;
  }

  /** The koa context with oidc-provider's additions. */
  export interface KoaContextWithOIDC {
    oidc: OIDCContext;
    status: number;
    body: unknown;
    type: string;
  }

  /** Middleware also runs for requests no oidc-provider route handled. */
  export interface MiddlewareContext extends Omit<KoaContextWithOIDC, 'oidc'> {
    oidc?: Omit<OIDCContext, 'params'> & { params?: Record<string, unknown> };
  }

  export interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience: string;
    accessTokenTTL: number;
    accessTokenFormat: 'opaque' | 'jwt';
  }

  type AllowedPolicy = (ctx: KoaContextWithOIDC, client: Client, token: Token) => Promise<boolean>;

  export interface Configuration {
    adapter: new (model: string) => Adapter;
    clients: unknown[];
    jwks: { keys: Record<string, unknown>[] };
    cookies: { keys: string[] };
    scopes: string[];
    claims: Record<string, string[]>;
    conformIdTokenClaims: boolean;
    extraParams: string[];
    pkce: { required: (ctx: KoaContextWithOIDC, client: Client) => boolean };
    features: {
      devInteractions: { enabled: boolean };
      clientCredentials: { enabled: boolean };
      deviceFlow: {
        enabled: boolean;
        userCodeInputSource: (ctx: KoaContextWithOIDC, form: string, out: unknown, err?: Error) => Promise<void>;
        userCodeConfirmSource: (
          ctx: KoaContextWithOIDC,
          form: string,
          client: Client,
          deviceInfo: unknown,
          userCode: string,
        ) => Promise<void>;
        successSource: (ctx: KoaContextWithOIDC) => Promise<void>;
      };
      introspection: { enabled: boolean; allowedPolicy: AllowedPolicy };
      revocation: { enabled: boolean; allowedPolicy: AllowedPolicy };
      userinfo: { enabled: boolean };
      rpInitiatedLogout: { enabled: boolean };
      resourceIndicators: {
        enabled: boolean;
        defaultResource: (
          ctx: KoaContextWithOIDC,
          client: Client,
          oneOf?: string | string[],
        ) => Promise<string | string[] | undefined>;
        useGrantedResource: (ctx: KoaContextWithOIDC, model: unknown) => Promise<boolean>;
        getResourceServerInfo: (
          ctx: KoaContextWithOIDC,
          resourceIndicator: string,
          client: Client,
        ) => Promise<ResourceServerInfo>;
      };
    };
    interactions: {
      policy: interactionPolicy.Prompt[];
      url: (ctx: KoaContextWithOIDC, interaction: { uid: string }) => string;
    };
    ttl: Record<string, number | ((ctx: KoaContextWithOIDC, token: Token, client: Client) => number)>;
    expiresWithSession: (ctx: KoaContextWithOIDC, code: Token) => Promise<boolean>;
    rotateRefreshToken: boolean;
    issueRefreshToken: (ctx: KoaContextWithOIDC, client: Client, code: Token) => Promise<boolean>;
    extraTokenClaims: (ctx: KoaContextWithOIDC, token: Token) => Promise<Record<string, unknown> | undefined>;
    findAccount: (ctx: KoaContextWithOIDC, sub: string) => Promise<Account | undefined>;
    renderError: (ctx: KoaContextWithOIDC, out: Record<string, unknown>, error: Error) => Promise<void>;
  }

  export interface InteractionDetails {
    uid: string;
    prompt: {
      name: string;
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
    };
    params: Record<string, unknown>;
    session?: { accountId: string };
    grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly Client: { readonly adapter: Adapter };
    readonly ClientCredentials: new (properties: { client: Client; scope?: string }) => ClientCredentialsToken;
    registerGrantType(name: string, handler: (ctx: KoaContextWithOIDC) => Promise<void>, params?: string[]): void;
    readonly Grant: {
      new (properties: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options: { mergeWithLastSubmission: boolean },
    ): Promise<void>;
    on(event: 'server_error', listener: (ctx: KoaContextWithOIDC, error: Error) => void): this;
    use(middleware: (ctx: MiddlewareContext, next: () => Promise<void>) => Promise<void>): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export namespace errors {
    class OIDCProviderError extends Error {
      error: string;
      error_description?: string;
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string);
    }
    class SessionNotFound extends OIDCProviderError {}
  }

  export namespace interactionPolicy {
    class Prompt {
      constructor(options: { name: string; requestable: boolean });
      readonly name: string;
    }
    /** The default prompts (login, consent); an array with `add`. */
    interface Policy extends Array<Prompt> {
      add(prompt: Prompt, index?: number): void;
    }
    function base(): Policy;
  }
}
