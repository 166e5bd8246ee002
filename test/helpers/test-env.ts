// Typed access to the local test environment (fixtures/test-env) for tests, plus fresh temp dirs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TestEnv from '../../fixtures/test-env';

export type {
  CompleteAuthorizationOptions,
  DovecotHandle,
  MailboxStatus,
  OAuthProfile,
  OAuthServerHandle,
  SeedMessage,
  StartDovecotOptions,
  StartOAuthServerOptions,
  TestCa,
  TestClient,
  TestUser,
  TokenFaultMode,
  TokenFaultOptions,
  TokenStats,
} from '../../fixtures/test-env';

/** fixtures/test-env, found upwards so this also works when compiled to dist/test/helpers. */
function loadTestEnv(): typeof TestEnv {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'fixtures', 'test-env', 'index.js');
    if (fs.existsSync(candidate)) {
      // A plain-JS fixture outside the compiled tree: it has to be loaded at run time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(candidate) as typeof TestEnv;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`fixtures/test-env not found above ${__dirname}`);
    dir = parent;
  }
}

const env = loadTestEnv();

/** See fixtures/test-env/index.d.ts. */
export const DEFAULT_USERS = env.DEFAULT_USERS;
/** A mailbox nobody signs in as. */
export const SHARED_MAILBOX = env.SHARED_MAILBOX;
/** The command that installs Dovecot (also the message of the Error thrown when it is missing). */
export const INSTALL_DOVECOT = env.INSTALL_DOVECOT;
/** Test CA + server certificate for 127.0.0.1 / localhost. */
export const createTestCa = env.createTestCa;
/** The local OAuth2 server (oidc-provider, `microsoft` or `google` profile) in its own process. */
export const startOAuthServer = env.startOAuthServer;
/** A private Dovecot validating tokens at a started OAuth server. */
export const startDovecot = env.startDovecot;
/** The browser's part of an authorization request over HTTP; resolves to the final redirect URL. */
export const completeAuthorization = env.completeAuthorization;

let remover: ChildProcess | null = null;

/**
 * Removes the given directories when this process ends, however it ends: jest's sandbox never
 * sees process 'exit', so a small shell holds our stdin and deletes them at end of file.
 */
function removeAtExit(dir: string): void {
  if (process.env.O2M_KEEP_TMP === '1') return;
  if (!remover) {
    remover = spawn('/bin/sh', ['-c', 'while read -r d; do set -- "$@" "$d"; done; rm -rf "$@"'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    remover.unref();
    (remover.stdin as unknown as { unref(): void }).unref();
  }
  remover.stdin?.write(`${dir}\n`);
}

/**
 * A fresh directory under os.tmpdir(), removed when the test process ends
 * (set O2M_KEEP_TMP=1 to keep it for debugging).
 */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix.replace(/[^A-Za-z0-9_.-]/g, '_')}-`));
  removeAtExit(dir);
  return dir;
}

/** An app registration pointing at the local OAuth server as if it were a Microsoft tenant. */
export function localMicrosoftApp(server: TestEnv.OAuthServerHandle): {
  name: string;
  provider: 'microsoft';
  tenant: string | undefined;
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
} {
  return {
    name: 'Local Microsoft-like',
    provider: 'microsoft',
    tenant: server.tenant ?? undefined,
    issuerUrl: server.issuer,
    clientId: server.client.clientId,
    clientSecret: server.client.clientSecret,
  };
}
