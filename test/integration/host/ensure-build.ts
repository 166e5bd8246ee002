/**
 * Makes sure dist/ holds a build at least as new as the TypeScript sources, so a test can load the
 * plugin from plugin.json `main` or spawn bin/oauth2-mail.js. Builds (`tsc -p tsconfig.build.json`) only
 * when stale; a lock folder keeps two jest workers from building at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

const OUTPUTS = ['dist/plugin/index.js', 'dist/host/cli/main.js', 'dist/migrations/index.js'];
const SOURCES = ['plugin', 'adapters', 'host', 'lib', 'migrations'];
const LOCK = join(REPO_ROOT, 'dist', '.build-lock');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const outputs = OUTPUTS.map((o) => join(REPO_ROOT, o));
  if (!outputs.every(existsSync)) return false;
  const built = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  const sources = Math.max(
    ...SOURCES.map((s) => join(REPO_ROOT, s))
      .filter(existsSync)
      .map(newestMtime),
    statSync(join(REPO_ROOT, 'plugin.json')).mtimeMs,
  );
  return built >= sources;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds dist/ when it is missing or older than a source file. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another worker is building; a lock older than 5 minutes is from a crashed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 5 * 60_000) rmdirSync(LOCK);
      if (Date.now() > deadline) throw new Error(`dist build lock ${LOCK} held for too long`);
      sleep(500);
      if (isFresh()) return;
    }
  }
  try {
    if (isFresh()) return;
    const result = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    // Type errors elsewhere in the tree do not stop tsc from emitting; only missing outputs are fatal.
    if (!OUTPUTS.every((o) => existsSync(join(REPO_ROOT, o))))
      throw new Error(`npm run build produced no output:\n${result.stdout}\n${result.stderr}`);
    if (result.status !== 0)
      console.warn(
        `tsc reported errors (dist was emitted anyway):\n${result.stdout.split('\n').slice(0, 20).join('\n')}`,
      );
  } finally {
    rmdirSync(LOCK);
  }
}
