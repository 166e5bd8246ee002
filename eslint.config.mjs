// Import direction of design.md §2, enforced here so `npm run lint` (and so `npm test`) fails on a violation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const drivers = ['knex', 'imapflow', 'simple-oauth2', 'fastify', '@fastify/*', 'pg', 'mysql2', 'sqlite3', 'nodemailer', 'pino', 'oidc-provider', 'playwright-core'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.test-env/**', 'fixtures/**', 'bin/**', 'data/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/adapters/**', '**/adapters'], message: 'plugin/ never imports adapters/ (only plugin/main.ts does): design.md §2.' },
          { group: ['**/migrations/**', '**/migrations'], message: 'plugin/ never imports migrations/: design.md §2.' },
          { group: drivers.filter((d) => d !== 'knex'), message: 'plugin/ is pure TypeScript: drivers live behind a port in adapters/.' },
          { group: ['knex'], allowTypeImports: true, message: 'plugin/ may only import knex types (the host hands over its knex instance).' },
        ],
      }],
    },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {
            group: ['**/plugin/*', '**/plugin/**', '!**/plugin/ports', '!**/plugin/ports/**', '!**/plugin/errors', '!**/plugin/config', '!**/plugin/manifest'],
            message: 'adapters/ imports only plugin/ports, plugin/errors, plugin/config and plugin/manifest: design.md §2.',
          },
          { group: ['**/migrations/*', '!**/migrations/index'], message: 'adapters/ reach migrations only through migrations/index.' },
        ],
      }],
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/plugin/**', '**/adapters/**', '**/plugin', '**/adapters'], message: 'migrations/ are frozen history and import nothing of ours.' },
        ],
      }],
    },
  },
);
