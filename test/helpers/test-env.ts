// The local test environment (test/env) for tests, plus fresh temp dirs and the app registration that points at it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OAuthServerHandle } from '../env';

export * from '../env';

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
export function localMicrosoftApp(server: OAuthServerHandle): {
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
