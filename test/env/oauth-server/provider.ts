// oidc-provider configured into the profile's provider: which tokens it issues, for which scopes, to whom.
import * as crypto from 'node:crypto';
import Provider, { errors as oidcErrors, interactionPolicy, type AdapterPayload } from 'oidc-provider';
import type { ServerClient } from './config';
import type { ServerContext } from './context';
import { errorPage } from './login-page';
import { shapeTokenError, type TokenErrorBody } from './token-errors';

/** oidc-provider client metadata of a test client: code flow with refresh tokens, secret in a Basic header. */
export function clientMetadata(client: ServerClient): AdapterPayload {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: client.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...(client.metadata ?? {}),
  };
}

const isErrorBody = (body: unknown): body is TokenErrorBody =>
  typeof body === 'object' && body !== null && Boolean((body as { error?: unknown }).error);

/** The configured provider, its clients registered. */
export async function createProvider(ctx: ServerContext): Promise<Provider> {
  const { config, profile, profileName } = ctx;
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: crypto.randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };

  const policy = interactionPolicy.base();
  // Microsoft clients send prompt=select_account: accept it (the login page doubles as account picker).
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

  const provider = new Provider(ctx.issuer, {
    adapter: ctx.grants.adapterClass(),
    clients: [],
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    scopes: [...profile.oidcScopes],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    extraParams: ['access_type', 'include_granted_scopes'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // Dovecot's client, or a client asking about its own token.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientId === config.introspectionClient.clientId || client.clientId === token.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => client.clientId === token.clientId,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // Providers imply the mail resource from its scopes (no `resource` parameter is sent).
        defaultResource: async (oidcCtx, _client, oneOf) => {
          if (oneOf) return oneOf;
          const requested = String(oidcCtx.oidc.params.scope ?? '').split(' ');
          return requested.some((s) => ctx.mailScopes.has(s)) ? profile.resource : undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== profile.resource) throw new oidcErrors.InvalidTarget();
          return {
            scope: profile.mailScopes.join(' '),
            audience: profile.resource,
            accessTokenTTL: ctx.accessTokenTtl,
            accessTokenFormat: 'opaque',
          };
        },
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: () => ctx.accessTokenTtl,
      AuthorizationCode: 600,
      Grant: 365 * 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: profile.refreshTokenTtl,
      Session: 24 * 3600,
    },
    expiresWithSession: async () => false,
    rotateRefreshToken: profile.rotateRefreshToken,
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      if (profileName === 'google') return code.kind === 'AuthorizationCode' && ctx.offlineCodes.has(code.jti);
      return code.scopes.has('offline_access');
    },
    // Only mail-resource tokens name the mailbox: Dovecot matches this claim with the SASL user, so a
    // token without any mail scope cannot log in (Dovecot 2.3's `scope` setting needs *all* its scopes).
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'AccessToken' || token.resourceServer?.identifier() !== profile.resource) return undefined;
      const user = ctx.users.get(String(token.accountId).toLowerCase());
      if (!user) return undefined;
      // delegate_of: the one other mailbox this user may open (Exchange "Full Access"); Dovecot's second
      // passdb matches it. Always present, so that passdb fails cleanly for everybody else.
      return { email: user.email.toLowerCase(), delegate_of: String(user.delegateOf ?? user.email).toLowerCase() };
    },
    findAccount: async (_ctx, sub) => {
      const user = ctx.users.get(String(sub).toLowerCase());
      if (!user) return undefined;
      return {
        accountId: user.login.toLowerCase(),
        async claims() {
          const idTokenEmail = user.idTokenEmail === undefined ? user.email : user.idTokenEmail;
          return {
            sub: user.login.toLowerCase(),
            ...(idTokenEmail ? { email: idTokenEmail, email_verified: true } : {}),
            name: user.name ?? user.login,
            preferred_username: user.login,
          };
        },
      };
    },
    renderError: async (oidcCtx, out) => {
      oidcCtx.type = 'html';
      oidcCtx.body = errorPage(out);
    },
  });

  for (const client of config.clients) await provider.Client.adapter.upsert(client.clientId, clientMetadata(client));
  await provider.Client.adapter.upsert(config.introspectionClient.clientId, {
    client_id: config.introspectionClient.clientId,
    client_secret: config.introspectionClient.clientSecret,
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });

  provider.on('server_error', (_ctx, err) => console.error('oauth-server: server_error', err));

  // Records which codes were issued for offline access, and reshapes token-endpoint errors.
  provider.use(async (oidcCtx, next) => {
    await next();
    const { oidc } = oidcCtx;
    if (!oidc) return;
    const { route, entities } = oidc;
    const params = oidc.params ?? {};
    const code = entities.AuthorizationCode;
    if ((route === 'authorization' || route === 'resume') && code) {
      const prompts = new Set(String(params.prompt ?? '').split(' '));
      if (params.access_type === 'offline' && prompts.has('consent')) ctx.offlineCodes.add(code.jti);
    }
    if (route === 'token' && oidcCtx.status >= 400 && isErrorBody(oidcCtx.body)) {
      oidcCtx.body = shapeTokenError(ctx, oidcCtx.body, params);
    }
    // oidc-provider echoes an unrotated refresh token; Google's refresh response has none.
    const body = oidcCtx.body as Record<string, unknown> | null | undefined;
    const refreshed = route === 'token' && oidcCtx.status === 200 && params.grant_type === 'refresh_token';
    if (profileName === 'google' && refreshed && body) delete body.refresh_token;
  });

  return provider;
}
