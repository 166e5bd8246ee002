// Plain CommonJS for child processes that run the TypeScript sources: ts-jest compiles in-process, which a child
// process cannot use, and a type-checking build would cost seconds per test file. Packages resolve through NODE_PATH.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** The repository's node_modules, for the children's NODE_PATH. */
export const NODE_MODULES = join(ROOT, 'node_modules');

/**
 * Transpiles `entries` and every relative module they require into CommonJS, without type checking.
 * @param entries - repository-relative or absolute .ts paths
 * @returns the JavaScript text by repository-relative .js path
 */
export async function transpileTree(entries: readonly string[]): Promise<ReadonlyMap<string, string>> {
  // Loaded on demand: the compiled demo and bench never transpile and need not load the compiler.
  const ts = await import('typescript');
  const out = new Map<string, string>();
  const pending = entries.map((entry) => resolve(ROOT, entry));
  const done = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    out.set(relative(ROOT, file).replace(/\.ts$/, '.js'), outputText);
    for (const [, specifier] of outputText.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const module = resolve(dirname(file), specifier);
      pending.push(existsSync(`${module}.ts`) ? `${module}.ts` : join(module, 'index.ts'));
    }
  }
  return out;
}

/**
 * Writes a transpiled tree under `outDir`, in the repository's layout.
 * @param tree - from {@link transpileTree}
 * @param outDir - the target folder
 */
export function writeTree(tree: ReadonlyMap<string, string>, outDir: string): void {
  for (const [file, text] of tree) {
    mkdirSync(dirname(join(outDir, file)), { recursive: true });
    writeFileSync(join(outDir, file), text);
  }
}

/**
 * Transpiles `entries` with everything they require into `outDir` (same layout as the repository).
 * @param entries - repository-relative .ts paths
 * @param outDir - an empty directory
 */
export async function transpileForChild(entries: readonly string[], outDir: string): Promise<void> {
  writeTree(await transpileTree(entries), outDir);
}
