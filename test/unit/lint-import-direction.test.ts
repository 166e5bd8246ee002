/**
 * The import-direction rules of design.md §2, run through the ESLint Node API with the project's own
 * eslint.config.mjs: a plugin/ file importing adapters/ fails, an adapters/ file importing
 * plugin/oauth fails, while plugin/main.ts (the composition root) may import adapters/.
 *
 * ESLint loads eslint.config.mjs with a dynamic import(), which jest's CommonJS VM refuses, so the
 * API runs in one plain Node child process: `new ESLint({ cwd })` and `lintText(code, { filePath })`
 * for every case below.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const RESTRICTED = '@typescript-eslint/no-restricted-imports';

const LINT_SCRIPT = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', async () => {
  const { cwd, cases } = JSON.parse(input);
  const eslint = new ESLint({ cwd });
  const out = {};
  for (const [name, { code, filePath }] of Object.entries(cases)) {
    const [result] = await eslint.lintText(code, { filePath });
    out[name] = result.messages.map((m) => (m.ruleId || 'fatal') + ': ' + m.message);
  }
  process.stdout.write(JSON.stringify(out));
});`;

const CASES = {
  pluginImportsAdapter: { filePath: 'plugin/oauth/bad.ts', code: "import { createKnex } from '../../adapters/knex/create-knex';\nexport const k = createKnex;\n" },
  pluginImportsDriver: { filePath: 'plugin/fetch/bad.ts', code: "import { ImapFlow } from 'imapflow';\nexport const c = ImapFlow;\n" },
  pluginImportsKnexType: { filePath: 'plugin/fetch/ok.ts', code: "import type { Knex } from 'knex';\nexport type K = Knex;\n" },
  adapterImportsPluginOauth: { filePath: 'adapters/knex/bad.ts', code: "import { x } from '../../plugin/oauth/token-service';\nexport const y = x;\n" },
  adapterImportsAllowed: {
    filePath: 'adapters/host/ok.ts',
    code: [
      "import type { HostPort } from '../../plugin/ports/host';",
      "import { PluginError } from '../../plugin/errors';",
      "import { parseConfig } from '../../plugin/config';",
      "import { validateManifest } from '../../plugin/manifest';",
      'export const all: unknown[] = [PluginError, parseConfig, validateManifest];',
      'export type H = HostPort;',
      '',
    ].join('\n'),
  },
  mainImportsAdapter: { filePath: 'plugin/main.ts', code: "import { createKnex } from '../adapters/knex/create-knex';\nexport const k = createKnex;\n" },
};
type CaseName = keyof typeof CASES;

function lintAll(): Promise<Record<CaseName, string[]>> {
  const cases = Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, { code: c.code, filePath: resolve(root, c.filePath) }]));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', LINT_SCRIPT], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolvePromise(JSON.parse(out) as Record<CaseName, string[]>) : reject(new Error(`eslint child failed (${status}): ${err}`))));
    child.stdin.end(JSON.stringify({ cwd: root, cases }));
  });
}

const restricted = (messages: string[]): string[] => messages.filter((m) => m.startsWith(RESTRICTED));

describe('import direction (eslint.config.mjs)', () => {
  let results: Record<CaseName, string[]>;
  beforeAll(async () => {
    results = await lintAll();
  }, 120_000);

  it('refuses adapters/ in a plugin/ file', () => {
    expect(restricted(results.pluginImportsAdapter).some((m) => m.includes('plugin/ never imports adapters/'))).toBe(true);
  });

  it('refuses a driver library in a plugin/ file but allows a knex type import', () => {
    expect(restricted(results.pluginImportsDriver).length).toBeGreaterThan(0);
    expect(restricted(results.pluginImportsKnexType)).toEqual([]);
  });

  it('refuses plugin/oauth in an adapters/ file', () => {
    expect(restricted(results.adapterImportsPluginOauth).some((m) => m.includes('adapters/ imports only'))).toBe(true);
  });

  it('lets adapters/ import plugin/ports, plugin/errors, plugin/config and plugin/manifest', () => {
    expect(restricted(results.adapterImportsAllowed)).toEqual([]);
  });

  it('lets plugin/main.ts import adapters/', () => {
    expect(restricted(results.mainImportsAdapter)).toEqual([]);
  });
});
