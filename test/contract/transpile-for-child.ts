import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');

/**
 * Transpiles `entries` and every relative module they require into plain CommonJS under `outDir`
 * (same layout as the repository), so child processes run the real TypeScript sources without a
 * build step or a slow transpile-on-require hook. Packages resolve through NODE_PATH.
 * @param entries - repository-relative .ts paths
 * @param outDir - an empty directory
 */
export function transpileForChild(entries: readonly string[], outDir: string): void {
  const pending = entries.map((e) => resolve(ROOT, e));
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const [, specifier] of outputText.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const module = resolve(dirname(file), specifier);
      pending.push(existsSync(`${module}.ts`) ? `${module}.ts` : join(module, 'index.ts'));
    }
  }
}

/** The repository's node_modules, for the children's NODE_PATH. */
export const NODE_MODULES = join(ROOT, 'node_modules');
