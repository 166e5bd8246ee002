// What the parent hands the OAuth server process (a JSON file named by --config) and what the server answers
// on stdout once it listens.
import * as fs from 'node:fs';
import type { TestUser } from '../users';
import type { OAuthProfile } from './profiles';

/** A client as the server registers it; `metadata` overrides oidc-provider client metadata. */
export interface ServerClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  metadata?: Record<string, unknown>;
  /**
   * The mailboxes this app may open with its own tokens (client credentials), like Exchange's FullAccess for a
   * service principal: its app tokens name the first as `email` and the second as `delegate_of`, the two claims
   * Dovecot matches with the login. Empty: its app tokens open no mailbox.
   */
  appMailboxes?: string[];
}

/**
 * A Google-like service account the JWT bearer grant knows: its public key, the scopes the Workspace admin
 * delegated to its client id (domain-wide delegation), and which users' mailboxes its tokens open.
 */
export interface ServerServiceAccount {
  /** `client_email` of its key file: the assertion's `iss`. */
  email: string;
  /** The numeric client id the delegation entry names; also its oidc-provider client. */
  clientId: string;
  /** `private_key_id` of its key file (the assertion's `kid`). */
  keyId: string;
  publicKeyPem: string;
  /** The delegated scopes; a request for any other is refused with Google's unauthorized_client. */
  scopes: string[];
  /** Users whose mail its tokens open (IMAP allowed); undefined: every user. */
  mailboxes?: string[];
}

/** The device authorization grant's timing. */
export interface DeviceFlowSettings {
  /** The `interval` the device authorization answer names; faster polls get slow_down. */
  intervalSeconds: number;
  /** How long a device code lives. */
  ttlSeconds: number;
}

export interface OAuthServerConfig {
  profile: OAuthProfile;
  /** Microsoft: the tenant in the issuer path; Google: null. */
  tenant: string | null;
  /** 0: a random free port. */
  port: number;
  host: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** Seconds. */
  accessTokenTtl: number;
  /** Pad every issued access token to this many characters (0: as oidc-provider makes them). */
  accessTokenLength: number;
  users: TestUser[];
  clients: ServerClient[];
  serviceAccounts: ServerServiceAccount[];
  deviceFlow: DeviceFlowSettings;
  introspectionClient: { clientId: string; clientSecret: string };
  /** Exit when stdin ends (the parent died). */
  exitWithStdin: boolean;
}

/** The one line the server writes to stdout, once it accepts requests. */
export interface ReadyLine {
  ready: true;
  issuer: string;
  port: number;
  origin: string;
  profile: OAuthProfile;
  tenant: string | null;
}

/** The config named by `--config <file>`; null when the argument is missing. */
export function readConfig(argv: readonly string[]): OAuthServerConfig | null {
  const index = argv.indexOf('--config');
  const file = index === -1 ? undefined : argv[index + 1];
  if (!file) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as OAuthServerConfig;
}
