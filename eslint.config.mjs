// The import direction of docs/architecture.md, enforced here so `npm run lint` (and so `npm test`) fails on a
// violation: plugin/ is the pure core, adapters/ implement its ports, host/ is an application that uses the
// plugin only through its public surface, lib/ and migrations/ import nothing of ours, test/ is reached only by
// tests, the demo and the bench.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const drivers = [
  'knex',
  'imapflow',
  'simple-oauth2',
  'fastify',
  '@fastify/*',
  'pg',
  'mysql2',
  'sqlite3',
  'nodemailer',
  'pino',
  'oidc-provider',
  'playwright-core',
];
const ARCH = 'docs/architecture.md';
// Relative imports that climb to a top-level folder (`../../host/…`); `ports/host` is the host contract, not host/.
const topLevel = (folder) => `^(\\.\\./)+${folder}(/|$)`;
const noTestCode = { regex: topLevel('test'), message: `only tests, the demo and the bench use test/: ${ARCH}.` };
const noHost = {
  regex: topLevel('host'),
  message: `the plugin never imports the reference helpdesk (host/): ${ARCH}.`,
};
const hostPatterns = [
  {
    // `../plugin` would resolve to plugin.json before plugin/index.ts under jest: always name the index.
    regex: '^(\\.\\./)+plugin$',
    message: 'import the plugin\'s public surface as plugin/index (a bare "plugin" can resolve to plugin.json).',
  },
  {
    group: ['**/plugin/*', '**/plugin/**', '!**/plugin/index'],
    message: `host/ uses the plugin only through its public surface (plugin/index.ts), like any third-party helpdesk: ${ARCH}.`,
  },
  { group: ['**/adapters/**', '**/adapters'], message: `host/ never imports the plugin's adapters: ${ARCH}.` },
  {
    group: ['**/migrations/**', '**/migrations'],
    message: `host/ runs the plugin's migrations through plugin.json, never by import: ${ARCH}.`,
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-dev/**',
      'node_modules/**',
      'coverage/**',
      '.test-env/**',
      'fixtures/**',
      'bin/**',
      'data/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['plugin/**/*.ts'],
    ignores: ['plugin/main.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', '**/adapters'],
              message: `plugin/ never imports adapters/ (only plugin/main.ts does): ${ARCH}.`,
            },
            noHost,
            noTestCode,
            { group: ['**/migrations/**', '**/migrations'], message: `plugin/ never imports migrations/: ${ARCH}.` },
            {
              group: drivers.filter((d) => d !== 'knex'),
              message: 'plugin/ is pure TypeScript: drivers live behind a port in adapters/.',
            },
            {
              group: ['knex'],
              allowTypeImports: true,
              message: 'plugin/ may only import knex types (the host hands over its knex instance).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['plugin/main.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noHost, noTestCode] }],
    },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/plugin/*',
                '**/plugin/**',
                '!**/plugin/ports',
                '!**/plugin/ports/**',
                '!**/plugin/errors',
                '!**/plugin/config',
              ],
              message: `adapters/ import only plugin/ports, plugin/errors and plugin/config: ${ARCH}.`,
            },
            {
              regex: '^(\\.\\./)+plugin(/index)?$',
              message: `adapters/ import only plugin/ports, plugin/errors and plugin/config: ${ARCH}.`,
            },
            { regex: topLevel('host'), message: `adapters/ never import the reference helpdesk (host/): ${ARCH}.` },
            noTestCode,
            {
              group: ['**/migrations/*', '!**/migrations/index'],
              message: 'adapters/ reach migrations only through migrations/index.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['host/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...hostPatterns, noTestCode] }] },
  },
  {
    files: ['host/demo/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: hostPatterns }] },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: topLevel('(plugin|adapters|host|migrations)'),
              message: `lib/ holds helpers of no domain and imports nothing of ours: ${ARCH}.`,
            },
            noTestCode,
          ],
        },
      ],
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: topLevel('(plugin|adapters|host|lib)'),
              message: 'migrations/ are frozen history and import nothing of ours.',
            },
          ],
        },
      ],
    },
  },
);
