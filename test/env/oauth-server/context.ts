import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { TestUser } from '../users';
import type { DeviceFlowSettings, OAuthServerConfig } from './config';
import type { DevicePolling } from './device-polling';
import type { GrantStore } from './grant-store';
import type { OAuthProfile, ProfileSettings } from './profiles';
import type { TokenFaults } from './token-faults';

/** Counters of the token endpoint since start or the last reset. */
export interface TokenStats {
  /** Every POST to the token endpoint, faulted ones included. */
  tokenRequests: number;
  refreshRequests: number;
  codeRequests: number;
  introspectionRequests: number;
  revocationRequests: number;
  clientCredentialsRequests: number;
  jwtBearerRequests: number;
  deviceAuthorizationRequests: number;
  deviceCodeRequests: number;
  /** Token requests whose client authenticated with a client_assertion (private_key_jwt). */
  assertionRequests: number;
}

/** The running server's settings and state, shared by the provider configuration and the request handlers. */
export interface ServerContext {
  readonly config: OAuthServerConfig;
  readonly profileName: OAuthProfile;
  readonly profile: ProfileSettings;
  readonly mailScopes: ReadonlySet<string>;
  /** https://127.0.0.1:<port> */
  readonly origin: string;
  /** Where oidc-provider is mounted: `/<tenant>/v2.0` (Microsoft) or '' (Google). */
  readonly mountPath: string;
  readonly issuer: string;
  /** By lower-cased login. */
  readonly users: ReadonlyMap<string, TestUser>;
  readonly grants: GrantStore;
  readonly faults: TokenFaults;
  readonly stats: TokenStats;
  /** Ids of authorization codes issued for offline access (Google: access_type=offline and prompt=consent). */
  readonly offlineCodes: Set<string>;
  /** Lifetime (seconds) of access tokens issued from now on; the control API changes it. */
  accessTokenTtl: number;
  /** Per client id: the mailboxes its app tokens open (the control API changes it). */
  readonly appMailboxes: Map<string, string[]>;
  /** The device flow's interval and code lifetime from now on (the control API changes them). */
  readonly deviceFlow: DeviceFlowSettings;
  /** Who polled the device code when, and the slow_down answers. */
  readonly devicePolling: DevicePolling;
}

/** The context with the configured provider, as the request handlers need it. */
export interface ServerRuntime {
  readonly ctx: ServerContext;
  readonly provider: Provider;
  /** Hands a request to oidc-provider (below the mount path). */
  forward(req: IncomingMessage, res: ServerResponse): void;
}
