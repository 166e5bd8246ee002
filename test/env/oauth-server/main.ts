// The local OAuth2 / OpenID Connect authorization server of the test environment, in its own process:
// `node main.js --config <json file>` (startOAuthServer in ../oauth-server-process.ts does this). oidc-provider 9
// over https with the run's test CA, configured as a microsoft-like or google-like provider, plus a loopback-only
// control API under /__test/. stdout carries exactly one line, {"ready":true,...}; everything else goes to stderr.
import './stdout-for-ready-line';
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readConfig, type ReadyLine } from './config';
import type { ServerContext, ServerRuntime } from './context';
import { GrantStore } from './grant-store';
import { isOAuthProfile, PROFILES } from './profiles';
import { DevicePolling } from './device-polling';
import { createProvider } from './provider';
import { requestHandler } from './routes';
import { TokenFaults } from './token-faults';

async function main(): Promise<void> {
  const config = readConfig(process.argv);
  if (!config) {
    console.error('usage: node main.js --config <json file>');
    process.exit(2);
  }
  if (!isOAuthProfile(config.profile)) {
    console.error(`unknown profile ${JSON.stringify(config.profile)}: expected microsoft or google`);
    process.exit(2);
  }
  const profileName = config.profile;
  const profile = PROFILES[profileName];

  const tls = { cert: fs.readFileSync(config.serverCertFile), key: fs.readFileSync(config.serverKeyFile) };
  const server = https.createServer(tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(config.port ?? 0), config.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `https://127.0.0.1:${port}`;
  const tenant = profileName === 'microsoft' ? (config.tenant ?? 'common') : null;
  const mountPath = tenant ? `/${tenant}/v2.0` : '';
  const issuer = `${origin}${mountPath}`;

  const ctx: ServerContext = {
    config,
    profileName,
    profile,
    mailScopes: new Set(profile.mailScopes),
    origin,
    mountPath,
    issuer,
    users: new Map(config.users.map((u) => [u.login.toLowerCase(), u])),
    grants: new GrantStore(),
    faults: new TokenFaults(),
    stats: {
      tokenRequests: 0,
      refreshRequests: 0,
      codeRequests: 0,
      introspectionRequests: 0,
      revocationRequests: 0,
      clientCredentialsRequests: 0,
      jwtBearerRequests: 0,
      deviceAuthorizationRequests: 0,
      deviceCodeRequests: 0,
      assertionRequests: 0,
    },
    offlineCodes: new Set(),
    accessTokenTtl: Number(config.accessTokenTtl ?? 3600),
    appMailboxes: new Map(config.clients.map((c) => [c.clientId, c.appMailboxes ?? []])),
    deviceFlow: { ...config.deviceFlow },
    devicePolling: new DevicePolling(),
  };
  const provider = await createProvider(ctx);
  const callback = provider.callback();
  const runtime: ServerRuntime = {
    ctx,
    provider,
    forward(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) {
      req.originalUrl = req.url;
      req.url = (req.url ?? '/').slice(mountPath.length) || '/';
      callback(req, res);
    },
  };
  const handle = requestHandler(runtime);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handle(req, res));

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The parent holds our stdin open: when it dies (even by SIGKILL) the pipe closes and we exit.
  if (config.exitWithStdin) {
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }

  const ready: ReadyLine = { ready: true, issuer, port, origin, profile: profileName, tenant };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error('oauth-server: could not start:', error);
  process.exit(1);
});
