// startOAuthServer: the test OAuth server (oauth-server/) in its own process, and the handle tests drive it with.
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { httpRequest } from './http-request';
import { forgetAtExit, killAtExit } from './live-processes';
import type { OAuthServerConfig, ReadyLine, ServerClient, ServerServiceAccount } from './oauth-server/config';
import type { TokenStats } from './oauth-server/context';
import type { DevicePoll } from './oauth-server/device-polling';
import { isOAuthProfile, PROFILES, type OAuthProfile } from './oauth-server/profiles';
import type { TokenFaultMode, TokenFaultOptions } from './oauth-server/token-faults';
import { oauthServerProgram } from './oauth-server-program';
import { createServiceAccountKey, type TestServiceAccount } from './service-account-key';
import { createTestCa, type TestCa } from './test-ca';
import { DEFAULT_USERS, normalizeUsers, usersMatching, type TestUser } from './users';

/** A confidential OAuth client (client_secret_basic and client_secret_post both accepted; PKCE S256 required). */
export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface StartOAuthServerOptions {
  profile: OAuthProfile;
  /** Where the CA (dir/ca), the server's config and its log go. */
  dir: string;
  /** Defaults to DEFAULT_USERS. */
  users?: TestUser[];
  /** Redirect URIs of the default client (exact match). Default: ['http://127.0.0.1/callback']. */
  redirectUris?: string[];
  /** Several clients; missing ids/secrets are generated (Microsoft: a GUID; Google: *.apps.googleusercontent.com). */
  clients?: Array<{
    clientId?: string;
    clientSecret?: string;
    redirectUris?: string[];
    /** oidc-provider client metadata, e.g. privateKeyJwtMetadata(certificate) for certificate credentials. */
    metadata?: Record<string, unknown>;
    /** Mailboxes this client's app tokens (client credentials) open; at most two. Default none. */
    appMailboxes?: string[];
  }>;
  /** Google-like service accounts for the JWT bearer grant; keys are generated, the handle has their key files. */
  serviceAccounts?: Array<{
    /** Default `mail-<n>@<project>.iam.gserviceaccount.com`. */
    email?: string;
    /** The scopes delegated to it (domain-wide delegation). Default: the profile's mail scopes. */
    scopes?: string[];
    /** Users whose mailboxes its tokens open. Default: every user. */
    mailboxes?: string[];
  }>;
  /** Device flow timing (default interval 5 s, codes live 600 s). */
  deviceFlow?: { intervalSeconds?: number; ttlSeconds?: number };
  /** Access-token lifetime in seconds (default 3600); short values make tokens expire in tests. */
  accessTokenTtl?: number;
  /**
   * Pad every issued access token to this many characters, like Microsoft's JWTs (1.5-3 KB); Dovecot and the other
   * endpoints still accept them. Default: oidc-provider's 43-character opaque tokens.
   */
  accessTokenLength?: number;
  /** Default 0 (random); the real port is in the handle. */
  port?: number;
  /** Microsoft only: the tenant in the issuer path (default: a random GUID). */
  tenant?: string;
  /** Reuse a CA (default: createTestCa(dir + '/ca')). */
  ca?: TestCa;
}

/** A running test OAuth server (oidc-provider 9 over https). */
export interface OAuthServerHandle {
  profile: OAuthProfile;
  /** Microsoft: https://127.0.0.1:<port>/<tenant>/v2.0; Google: https://127.0.0.1:<port>. */
  issuer: string;
  /** https://127.0.0.1:<port> */
  origin: string;
  port: number;
  tenant: string | null;
  discoveryUrl: string;
  endpoints: {
    authorization: string;
    token: string;
    revocation: string;
    introspection: string;
    userinfo: string;
    jwks: string;
    /** RFC 8628 device authorization endpoint. */
    deviceAuthorization: string;
    /** Where the user enters the device code. */
    deviceVerification: string;
  };
  /** `mail`: the short mail scope every profile knows. */
  mailScope: string;
  /** Every scope that yields a mail token (Microsoft also https://outlook.office.com/IMAP.AccessAsUser.All etc., Google https://mail.google.com/). */
  mailScopes: string[];
  /** A scope string that yields a refresh token and a mail token for this profile. */
  defaultScope: string;
  /** Extra authorization parameters the profile needs for a refresh token (Google: access_type=offline, prompt=consent). */
  authorizationParams: Record<string, string>;
  caCertFile: string;
  caCertPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** The first (default) client. */
  client: TestClient;
  clients: TestClient[];
  /** The client Dovecot uses for token introspection. */
  introspectionClient: { clientId: string; clientSecret: string };
  /** The service accounts, with their Google-style key files (token_uri: this server's token endpoint). */
  serviceAccounts: TestServiceAccount[];
  users: TestUser[];
  /** The server's stderr (never contains tokens or secrets). */
  logFile: string;
  /** The user with this login or mailbox address (throws if unknown). */
  user(loginOrEmail: string): TestUser;
  stats(): Promise<TokenStats>;
  /** Zeroes the counters and clears any pending fault. */
  resetStats(): Promise<void>;
  /** Revokes every grant, token and session of the user (login or mailbox address); resolves to the number of grants. */
  revokeUser(email: string): Promise<number>;
  fault(mode: TokenFaultMode, count?: number, options?: TokenFaultOptions): Promise<void>;
  /** Lifetime of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): Promise<void>;
  /** Replaces the redirect URIs of a client (default: the first) while running. */
  setRedirectUris(uris: string[], clientId?: string): Promise<void>;
  /**
   * Which mailboxes (at most two) the app tokens of a client (default: the first) open from now on; with a service
   * account's client id, which users' tokens open their mailbox.
   */
  setAppMailboxes(mailboxes: string[], clientId?: string): Promise<void>;
  /** Device flow timing from now on, and `slowDown`: the next N device-code polls answer slow_down. */
  setDeviceFlow(settings: { intervalSeconds?: number; ttlSeconds?: number; slowDown?: number }): Promise<void>;
  /** Every device-code poll since start or the last reset. */
  devicePolls(): Promise<DevicePoll[]>;
  /** Idempotent. */
  stop(): Promise<void>;
}

const randomToken = (bytes: number) => crypto.randomBytes(bytes).toString('base64url');

/** Credentials in the shape the profile's provider issues them. */
function generatedClient(profile: OAuthProfile): { clientId: string; clientSecret: string } {
  if (profile === 'microsoft') {
    return {
      clientId: crypto.randomUUID(),
      clientSecret: `${randomToken(3).replace(/[-_]/g, 'x')}8Q~${randomToken(30)}`,
    };
  }
  const project = String(crypto.randomInt(100000000000, 999999999999));
  return {
    clientId: `${project}-${crypto.randomBytes(16).toString('hex')}.apps.googleusercontent.com`,
    clientSecret: `GOCSPX-${randomToken(21)}`,
  };
}

/** A JSON call to the server's /__test control API. */
async function controlCall<T>(
  server: { origin: string; caCertPem: string },
  method: 'GET' | 'POST',
  pathname: string,
  input?: unknown,
): Promise<T> {
  const body = input === undefined ? undefined : JSON.stringify(input);
  const res = await httpRequest(`${server.origin}${pathname}`, {
    method,
    ca: server.caCertPem,
    headers:
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    body,
  });
  const text = res.body.toString('utf8');
  if (res.status !== 200)
    throw new Error(`test OAuth server ${method} ${pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Spawns the test OAuth server (oauth-server/main) and waits for its ready line. */
export async function startOAuthServer(options: StartOAuthServerOptions): Promise<OAuthServerHandle> {
  const { profile, dir } = options ?? {};
  if (!isOAuthProfile(profile))
    throw new Error(`startOAuthServer: profile must be 'microsoft' or 'google', got ${JSON.stringify(profile)}`);
  if (!dir) throw new Error('startOAuthServer: dir is required');
  const serverDir = path.join(path.resolve(dir), `oauth-${profile}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(serverDir, { recursive: true, mode: 0o700 });
  const ca = options.ca ?? createTestCa(path.join(path.resolve(dir), 'ca'));
  const users = normalizeUsers(options.users ?? DEFAULT_USERS);
  const redirectUris = options.redirectUris ?? ['http://127.0.0.1/callback'];
  const clients: ServerClient[] = (options.clients?.length ? options.clients : [{}]).map((c, i) => {
    const generated = generatedClient(profile);
    return {
      clientId: c.clientId ?? (i === 0 ? generated.clientId : `${generated.clientId}-${i}`),
      clientSecret: c.clientSecret ?? generated.clientSecret,
      redirectUris: c.redirectUris ?? redirectUris,
      ...(c.metadata ? { metadata: c.metadata } : {}),
      ...(c.appMailboxes ? { appMailboxes: c.appMailboxes } : {}),
    };
  });
  const serviceAccountKeys = (options.serviceAccounts ?? []).map((account, i) =>
    createServiceAccountKey({ email: account.email, index: i }),
  );
  const serviceAccounts: ServerServiceAccount[] = serviceAccountKeys.map((key, i) => ({
    email: key.email,
    clientId: key.clientId,
    keyId: key.keyId,
    publicKeyPem: key.publicKeyPem,
    scopes: options.serviceAccounts?.[i]?.scopes ?? [...PROFILES[profile].mailScopes],
    ...(options.serviceAccounts?.[i]?.mailboxes ? { mailboxes: options.serviceAccounts[i]!.mailboxes } : {}),
  }));
  const defaultClient = clients[0];
  const introspectionClient = {
    clientId: 'dovecot-introspection',
    clientSecret: crypto.randomBytes(24).toString('hex'),
  };
  const tenant = profile === 'microsoft' ? (options.tenant ?? crypto.randomUUID()) : null;

  const config: OAuthServerConfig = {
    profile,
    tenant,
    port: options.port ?? 0,
    host: '127.0.0.1',
    serverCertFile: ca.serverCertFile,
    serverKeyFile: ca.serverKeyFile,
    accessTokenTtl: options.accessTokenTtl ?? 3600,
    accessTokenLength: options.accessTokenLength ?? 0,
    users,
    clients,
    serviceAccounts,
    deviceFlow: {
      intervalSeconds: options.deviceFlow?.intervalSeconds ?? 5,
      ttlSeconds: options.deviceFlow?.ttlSeconds ?? 600,
    },
    introspectionClient,
    exitWithStdin: true,
  };
  const configFile = path.join(serverDir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });

  const program = await oauthServerProgram(serverDir);
  const logFile = path.join(serverDir, 'oauth-server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [program.entry, '--config', configFile], {
    stdio: ['pipe', 'pipe', log],
    env: { ...process.env, NODE_OPTIONS: '', ...program.env },
  });
  fs.closeSync(log);
  killAtExit(child.pid);
  const { stdin, stdout } = child;
  if (!stdin || !stdout) throw new Error('the test OAuth server was spawned without its stdin/stdout pipes');

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    let buffered = '';
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      reject(new Error(`${err.message}${tail ? `\n--- ${logFile} ---\n${tail}` : ''}`));
    };
    const timer = setTimeout(() => fail(new Error('the test OAuth server did not start within 20 s')), 20000);
    child.once('error', fail);
    child.once('exit', (code, signal) =>
      fail(new Error(`the test OAuth server exited early (code ${code}, signal ${signal})`)),
    );
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        let parsed: Partial<ReadyLine> | null = null;
        try {
          parsed = JSON.parse(line) as Partial<ReadyLine> | null;
        } catch {
          // not the ready line
        }
        if (parsed?.ready === true) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          child.removeAllListeners('error');
          resolve(parsed as ReadyLine);
          return;
        }
      }
    });
  });

  // A test that forgets stop() must not keep jest alive; our stdin pipe still ends the server with us.
  child.unref();
  (stdin as unknown as { unref(): void }).unref();
  (stdout as unknown as { unref(): void }).unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  void exited.then(() => forgetAtExit(child.pid));

  let stopping: Promise<void> | undefined;
  const { issuer } = ready;
  const scopes = PROFILES[profile];
  const handle: OAuthServerHandle = {
    profile,
    issuer,
    origin: ready.origin,
    port: ready.port,
    tenant,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    endpoints: {
      authorization: `${issuer}/auth`,
      token: `${issuer}/token`,
      revocation: `${issuer}/token/revocation`,
      introspection: `${issuer}/token/introspection`,
      userinfo: `${issuer}/me`,
      jwks: `${issuer}/jwks`,
      deviceAuthorization: `${issuer}/device/auth`,
      deviceVerification: `${issuer}/device`,
    },
    mailScope: 'mail',
    mailScopes: [...scopes.mailScopes],
    defaultScope: scopes.defaultScope,
    authorizationParams: { ...scopes.authorizationParams },
    caCertFile: ca.caCertFile,
    caCertPem: ca.caCertPem,
    serverCertFile: ca.serverCertFile,
    serverKeyFile: ca.serverKeyFile,
    client: defaultClient,
    clients,
    introspectionClient,
    serviceAccounts: serviceAccountKeys.map((key) => key.withTokenUri(`${issuer}/token`)),
    users,
    logFile,
    user(loginOrEmail) {
      const found = usersMatching(users, loginOrEmail)[0];
      if (!found) throw new Error(`no test user ${loginOrEmail}`);
      return found;
    },
    stats: () => controlCall<TokenStats>(handle, 'GET', '/__test/stats'),
    resetStats: async () => {
      await controlCall(handle, 'POST', '/__test/reset', {});
    },
    revokeUser: async (email) =>
      (await controlCall<{ revokedGrants: number }>(handle, 'POST', '/__test/revoke-user', { email })).revokedGrants,
    fault: async (mode, count = 1, faultOptions = {}) => {
      await controlCall(handle, 'POST', '/__test/fault', { mode, count, ...faultOptions });
    },
    setAccessTokenTtl: async (seconds) => {
      await controlCall(handle, 'POST', '/__test/access-token-ttl', { seconds });
    },
    setRedirectUris: async (uris, clientId = defaultClient.clientId) => {
      await controlCall(handle, 'POST', '/__test/redirect-uris', { redirectUris: uris, clientId });
      const client = clients.find((c) => c.clientId === clientId);
      if (client) client.redirectUris = [...uris];
    },
    setAppMailboxes: async (mailboxes, clientId = defaultClient.clientId) => {
      await controlCall(handle, 'POST', '/__test/app-mailboxes', { mailboxes, clientId });
    },
    setDeviceFlow: async (settings) => {
      await controlCall(handle, 'POST', '/__test/device-flow', settings);
    },
    devicePolls: () => controlCall<DevicePoll[]>(handle, 'GET', '/__test/device-polls'),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        stdin.destroy();
        stdout.destroy();
      })();
      return stopping;
    },
  };
  return handle;
}
