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
