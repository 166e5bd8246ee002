import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, PluginError, toPluginError, isPluginError, type PluginErrorCode } from '../../plugin/errors';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const table = readme.slice(readme.indexOf('<!-- error-codes:start -->'), readme.indexOf('<!-- error-codes:end -->'));

describe('error code table', () => {
  const codes = Object.keys(ERROR_CODES) as PluginErrorCode[];

  it.each(codes)('README documents %s with its message and fix', (code) => {
    const row = table.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(ERROR_CODES[code].message.replace(/\|/g, '\\|'));
    expect(row).toContain(ERROR_CODES[code].fix.replace(/\|/g, '\\|'));
  });

  it('README lists no code the table does not have', () => {
    const documented = [...table.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('a status-changing code is never retried silently without a status, and every non-retryable status code names a fix', () => {
    for (const code of codes) {
      const info = ERROR_CODES[code];
      expect(info.message.length).toBeGreaterThan(10);
      expect(info.fix.length).toBeGreaterThan(10);
      if (info.status === 'needs_reauth' || info.status === 'app_error') expect(info.retryable).toBe(false);
    }
  });

  it('toPluginError keeps PluginErrors and wraps anything else as ERR_INTERNAL with its cause', () => {
    const original = new PluginError('ERR_GRANT_INVALID', 'AADSTS70008', { providerError: 'invalid_grant' });
    expect(toPluginError(original)).toBe(original);
    const wrapped = toPluginError(new Error('boom'));
    expect(wrapped.code).toBe('ERR_INTERNAL');
    expect(wrapped.message).toBe(ERROR_CODES.ERR_INTERNAL.message);
    expect((wrapped.cause as Error).message).toBe('boom');
    expect(isPluginError(wrapped)).toBe(true);
    expect(isPluginError(new Error('x'))).toBe(false);
    expect(original.info.status).toBe('needs_reauth');
  });
});
