/**
 * How an app registration authenticates at its provider's endpoints, as the OAuth client port takes it: the client
 * secret (opened only for the request), or a fresh client assertion signed with the certificate's key for each
 * request (`aud` the token endpoint). The authorization URL never carries either.
 */
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { OAuthClientConfig } from '../ports/oauth-client';
import { createClientAssertion } from './client-assertion';
import type { ResolvedEndpoints } from './providers/endpoint-resolver';

/** What the credential is read from. */
export interface ClientAuthenticationDeps {
  readonly apps: Pick<AppRepository, 'clientSecret' | 'privateKey'>;
  readonly clock: Clock;
}

/** The client configuration without any credential: for the authorization URL, which never carries one. */
export function publicClientConfig(app: AppRegistration, resolved: ResolvedEndpoints): OAuthClientConfig {
  return {
    endpoints: resolved.endpoints,
    clientId: app.clientId,
    clientSecret: '',
    clientAuthMethod: resolved.clientAuthMethod,
  };
}

/**
 * The client configuration with the app's credential, for one request to the token, device authorization or
 * revocation endpoint.
 * @throws PluginError ERR_SECRET_UNREADABLE | ERR_PROVIDER_CONFIG (a certificate app without its key)
 */
export async function authenticatedClientConfig(
  deps: ClientAuthenticationDeps,
  app: AppRegistration,
  resolved: ResolvedEndpoints,
): Promise<OAuthClientConfig> {
  if (app.credentialType !== 'certificate' || !app.certificatePem)
    return { ...publicClientConfig(app, resolved), clientSecret: await deps.apps.clientSecret(app.id) };
  const clientAssertion = await createClientAssertion({
    clientId: app.clientId,
    audience: resolved.endpoints.tokenUrl,
    certificatePem: app.certificatePem,
    privateKeyPem: await deps.apps.privateKey(app.id),
    algorithm: app.assertionAlgorithm ?? 'PS256',
    sha1Thumbprint: app.provider === 'microsoft',
    now: deps.clock.now(),
  });
  return { ...publicClientConfig(app, resolved), clientAuthMethod: 'private_key_jwt', clientAssertion };
}
