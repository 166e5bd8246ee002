// Which file `node` runs for the OAuth server process, from compiled code and from the TypeScript sources.
//
// The server (oauth-server/main.ts) is ordinary TypeScript, compiled to CommonJS like the rest of the project.
// oidc-provider is an ES module, but it has no top-level await, so Node's require() of ES modules (unflagged since
// Node 20.19) loads it from CommonJS: one program, with static typed imports, runs from dist-dev/ and from the
// sources alike.
// - Compiled (demo and bench from dist-dev/): tsc already emitted oauth-server/main.js next to this file.
// - Sources (jest: ts-jest compiles in-process, which a child process cannot use): the server's modules are
//   transpiled with typescript's transpileModule into a folder of the server's, packages found through NODE_PATH
//   (transpile-for-child.ts, as for the other test children).
// Not chosen: transpiling to .mjs would need file extensions on every relative import and would run other code
// than dist-dev does; a real dynamic import() cannot be written here, since with module commonjs TypeScript
// rewrites import() into require().
import * as path from 'node:path';
import { NODE_MODULES, transpileTree, writeTree } from './transpile-for-child';

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(__dirname, 'oauth-server', 'main');

/** How to start the server: `node <entry> --config <file>` with `env` added to the environment. */
export interface ServerProgram {
  entry: string;
  env: NodeJS.ProcessEnv;
}

/** The transpiled server by repository-relative .js path; the same for every server of this process. */
let transpiled: Promise<ReadonlyMap<string, string>> | undefined;

/** Whether this Node version loads ES modules with require() by default (process.features is not visible in jest). */
function requireOfEsmUnflagged(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 23 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
}

/**
 * The server program for this run.
 * @param scratchDir - where the transpiled sources may go (only used when running from the sources)
 */
export async function oauthServerProgram(scratchDir: string): Promise<ServerProgram> {
  if (!requireOfEsmUnflagged(process.versions.node))
    throw new Error(`the test OAuth server needs Node.js >= 20.19 (require() of ES modules), not ${process.version}`);
  if (!__filename.endsWith('.ts')) return { entry: `${ENTRY}.js`, env: {} };
  transpiled ??= transpileTree([`${ENTRY}.ts`]).catch((error: unknown) => {
    transpiled = undefined;
    throw error;
  });
  const outDir = path.join(scratchDir, 'program');
  writeTree(await transpiled, outDir);
  const nodePath = [NODE_MODULES, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  return { entry: path.join(outDir, path.relative(ROOT, `${ENTRY}.js`)), env: { NODE_PATH: nodePath } };
}
