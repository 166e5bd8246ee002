/**
 * The import-direction rules of docs/architecture.md, run through the ESLint Node API with the project's own
 * eslint.config.mjs: a plugin/ file importing adapters/ or host/ fails, an adapters/ file importing plugin/oauth or
 * host/ fails, a host/ file importing plugin internals fails, while plugin/main.ts (the composition root) may
 * import adapters/ and host/ files may import the plugin's public surface.
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
  pluginImportsAdapter: {
    filePath: 'plugin/oauth/bad.ts',
    code: "import { KnexMailLedger } from '../../adapters/knex/knex-mail-ledger';\nexport const k = KnexMailLedger;\n",
  },
  pluginImportsHost: {
    filePath: 'plugin/oauth/bad.ts',
    code: "import { TicketStore } from '../../host/ticket-store';\nexport const t = TicketStore;\n",
  },
  pluginImportsDriver: {
    filePath: 'plugin/fetch/bad.ts',
    code: "import { ImapFlow } from 'imapflow';\nexport const c = ImapFlow;\n",
  },
  pluginImportsKnexType: {
    filePath: 'plugin/fetch/ok.ts',
    code: "import type { Knex } from 'knex';\nexport type K = Knex;\n",
  },
  pluginImportsHostContract: {
    filePath: 'plugin/fetch/ok.ts',
    code: "import type { HostPort } from '../ports/host';\nexport type H = HostPort;\n",
  },
  adapterImportsPluginOauth: {
    filePath: 'adapters/knex/bad.ts',
    code: "import { x } from '../../plugin/oauth/token-service';\nexport const y = x;\n",
  },
  adapterImportsHost: {
    filePath: 'adapters/knex/bad.ts',
    code: "import { createKnex } from '../../host/create-knex';\nexport const k = createKnex;\n",
  },
  adapterImportsPluginIndex: {
    filePath: 'adapters/knex/bad.ts',
    code: "import { activate } from '../../plugin';\nexport const a = activate;\n",
  },
  adapterImportsAllowed: {
    filePath: 'adapters/knex/ok.ts',
    code: [
      "import type { HostPort } from '../../plugin/ports/host';",
      "import { PluginError } from '../../plugin/errors';",
      "import { parseConfig } from '../../plugin/config';",
      "import { insertReturningId } from '../../lib/sql/insert-returning-id';",
      'export const all: unknown[] = [PluginError, parseConfig, insertReturningId];',
      'export type H = HostPort;',
      '',
    ].join('\n'),
  },
  hostImportsPluginInternals: {
    filePath: 'host/web/bad.ts',
    code: "import { TokenService } from '../../plugin/oauth/token-service';\nexport const t = TokenService;\n",
  },
  hostImportsAdapter: {
    filePath: 'host/bad.ts',
    code: "import { KnexMailLedger } from '../adapters/knex/knex-mail-ledger';\nexport const k = KnexMailLedger;\n",
  },
  hostImportsTestCode: {
    filePath: 'host/web/bad.ts',
    code: "import { startOAuthServer } from '../../test/helpers/test-env';\nexport const s = startOAuthServer;\n",
  },
  hostImportsPublicSurface: {
    filePath: 'host/web/ok.ts',
    code: [
      "import { PluginError, type HostPort } from '../../plugin/index';",
      "import { html } from '../../lib/html';",
      'export const all: unknown[] = [PluginError, html];',
      'export type H = HostPort;',
      '',
    ].join('\n'),
  },
  demoImportsTestCode: {
    filePath: 'host/demo/ok.ts',
    code: "import { startOAuthServer } from '../../test/helpers/test-env';\nexport const s = startOAuthServer;\n",
  },
  libImportsPlugin: {
    filePath: 'lib/sql/bad.ts',
    code: "import { PluginError } from '../../plugin/errors';\nexport const e = PluginError;\n",
  },
  mainImportsAdapter: {
    filePath: 'plugin/main.ts',
    code: "import { KnexMailLedger } from '../adapters/knex/knex-mail-ledger';\nexport const k = KnexMailLedger;\n",
  },
};
type CaseName = keyof typeof CASES;

function lintAll(): Promise<Record<CaseName, string[]>> {
  const cases = Object.fromEntries(
    Object.entries(CASES).map(([name, c]) => [name, { code: c.code, filePath: resolve(root, c.filePath) }]),
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', LINT_SCRIPT], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0
        ? resolvePromise(JSON.parse(out) as Record<CaseName, string[]>)
        : reject(new Error(`eslint child failed (${status}): ${err}`)),
    );
    child.stdin.end(JSON.stringify({ cwd: root, cases }));
  });
}

const restricted = (messages: string[]): string[] => messages.filter((m) => m.startsWith(RESTRICTED));

describe('import direction (eslint.config.mjs)', () => {
  let results: Record<CaseName, string[]>;
  beforeAll(async () => {
    results = await lintAll();
  }, 120_000);

  const refusedWith = (name: CaseName, words: string): boolean =>
    restricted(results[name]).some((m) => m.includes(words));

  it('refuses adapters/ and host/ in a plugin/ file, but not the host contract plugin/ports/host', () => {
    expect(refusedWith('pluginImportsAdapter', 'plugin/ never imports adapters/')).toBe(true);
    expect(refusedWith('pluginImportsHost', 'never imports the reference helpdesk')).toBe(true);
    expect(restricted(results.pluginImportsHostContract)).toEqual([]);
  });

  it('refuses a driver library in a plugin/ file but allows a knex type import', () => {
    expect(restricted(results.pluginImportsDriver).length).toBeGreaterThan(0);
    expect(restricted(results.pluginImportsKnexType)).toEqual([]);
  });

  it('refuses plugin/oauth, the plugin index and host code in an adapters/ file', () => {
    expect(refusedWith('adapterImportsPluginOauth', 'adapters/ import only')).toBe(true);
    expect(refusedWith('adapterImportsPluginIndex', 'adapters/ import only')).toBe(true);
    expect(refusedWith('adapterImportsHost', 'adapters/ never import the reference helpdesk')).toBe(true);
  });

  it('lets adapters/ import plugin/ports, plugin/errors, plugin/config and lib/', () => {
    expect(restricted(results.adapterImportsAllowed)).toEqual([]);
  });

  it('refuses plugin internals, adapters and test code in a host/ file, and allows the public surface', () => {
    expect(refusedWith('hostImportsPluginInternals', 'only through its public surface')).toBe(true);
    expect(refusedWith('hostImportsAdapter', "never imports the plugin's adapters")).toBe(true);
    expect(refusedWith('hostImportsTestCode', 'only tests, the demo and the bench use test/')).toBe(true);
    expect(restricted(results.hostImportsPublicSurface)).toEqual([]);
  });

  it('lets the demo use the test environment', () => {
    expect(restricted(results.demoImportsTestCode)).toEqual([]);
  });

  it('refuses anything of ours in lib/', () => {
    expect(refusedWith('libImportsPlugin', 'imports nothing of ours')).toBe(true);
  });

  it('lets plugin/main.ts import adapters/', () => {
    expect(restricted(results.mainImportsAdapter)).toEqual([]);
  });
});
