// oidc-provider configured into the profile's provider: which tokens it issues, for which scopes, to whom.
import * as crypto from 'node:crypto';
import Provider, { errors as oidcErrors, interactionPolicy, type AdapterPayload } from 'oidc-provider';
import { appTokenClaims } from './app-token-claims';
import type { ServerClient } from './config';
import type { ServerContext } from './context';
import { DEVICE_CODE_GRANT, shapeDeviceAuthorization } from './device-authorization';
import { JWT_BEARER, jwtBearerGrant, serviceAccountClientMetadata } from './jwt-bearer-grant';
import { deviceConfirmPage, deviceInputPage, deviceSuccessPage, errorPage } from './login-page';
import { shapeTokenError, type TokenErrorBody } from './token-errors';

/**
 * oidc-provider client metadata of a test client: code flow with refresh tokens, client credentials and the device
 * flow, secret in a Basic header (`metadata` can switch it to private_key_jwt with a `jwks`).
 */
export function clientMetadata(client: ServerClient): AdapterPayload {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: client.redirectUris,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT],
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
    // The device flow has no redirect to protect; every code flow needs PKCE S256.
    pkce: { required: (oidcCtx) => oidcCtx.oidc.route !== 'device_authorization' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (oidcCtx, form, _out, err) => {
          oidcCtx.body = deviceInputPage(form, err ? 'The code is not valid (or it expired). Try again.' : null);
        },
        userCodeConfirmSource: async (oidcCtx, form, client, _deviceInfo, userCode) => {
          oidcCtx.body = deviceConfirmPage(form, client.clientId, userCode);
        },
        successSource: async (oidcCtx) => {
          oidcCtx.body = deviceSuccessPage();
        },
      },
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
          const appResource = requested.map((scope) => profile.appScopes[scope]).find(Boolean);
          if (appResource) return appResource;
          return requested.some((s) => ctx.mailScopes.has(s)) ? profile.resource : undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          const appScope = Object.keys(profile.appScopes).find((s) => profile.appScopes[s] === resourceIndicator);
          if (appScope)
            return {
              scope: appScope,
              audience: resourceIndicator,
              accessTokenTTL: ctx.accessTokenTtl,
              accessTokenFormat: 'opaque',
            };
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
      ClientCredentials: () => ctx.accessTokenTtl,
      DeviceCode: () => ctx.deviceFlow.ttlSeconds,
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
      // Google's device flow (for "TVs and limited input devices") issues a refresh token like an offline code.
      if (profileName === 'google')
        return code.kind === 'DeviceCode' || (code.kind === 'AuthorizationCode' && ctx.offlineCodes.has(code.jti));
      return code.scopes.has('offline_access');
    },
    // Only mail-resource tokens name the mailbox: Dovecot matches this claim with the SASL user, so a
    // token without any mail scope cannot log in (Dovecot 2.3's `scope` setting needs *all* its scopes).
    // App tokens name the mailboxes the app may open (JWT bearer: set by the grant for its subject).
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind === 'ClientCredentials')
        return token.extra ?? appTokenClaims(ctx.appMailboxes.get(token.clientId ?? '') ?? []);
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

  provider.registerGrantType(JWT_BEARER, jwtBearerGrant(ctx, provider), ['assertion', 'scope']);
  for (const client of config.clients) await provider.Client.adapter.upsert(client.clientId, clientMetadata(client));
  for (const account of config.serviceAccounts)
    await provider.Client.adapter.upsert(account.clientId, serviceAccountClientMetadata(account));
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
    if (route === 'device_authorization' && oidcCtx.status === 200 && oidcCtx.body)
      oidcCtx.body = shapeDeviceAuthorization(ctx, oidcCtx.body as Record<string, unknown>);
    // oidc-provider echoes an unrotated refresh token; Google's refresh response has none.
    const body = oidcCtx.body as Record<string, unknown> | null | undefined;
    const refreshed = route === 'token' && oidcCtx.status === 200 && params.grant_type === 'refresh_token';
    if (profileName === 'google' && refreshed && body) delete body.refresh_token;
  });

  return provider;
}
