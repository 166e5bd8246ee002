/**
 * The error table (plugin/errors.ts) and the README's copy of it stay one: the block between the README's
 * error-codes markers must be exactly what {@link renderErrorTable} makes of ERROR_CODES. Set UPDATE_README=1 to
 * rewrite the block after changing the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ERROR_CODES,
  PluginError,
  toPluginError,
  isPluginError,
  type ErrorGroup,
  type PluginErrorCode,
} from '../../plugin/errors';
import { UnusableTokenResponseError } from '../../plugin/ports/oauth-client';

const README = join(__dirname, '../../README.md');
const START = '<!-- error-codes:start -->';
const END = '<!-- error-codes:end -->';
const codes = Object.keys(ERROR_CODES) as PluginErrorCode[];

const GROUP_TITLES: Readonly<Record<ErrorGroup, string>> = {
  input: 'Input: requests, forms and console arguments',
  host: 'Host contract: plugin manager, database, secrets, mail pipeline',
  oauth: 'OAuth grant: Connect, callback, tokens, app registration',
  mail: 'Mail server',
  general: 'General',
};

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The README block for the current table, one sub-table per group in table order. */
function renderErrorTable(): string {
  const groups = [...new Set(codes.map((code) => ERROR_CODES[code].group))];
  const sections = groups.map((group) => {
    const rows = codes
      .filter((code) => ERROR_CODES[code].group === group)
      .map((code) => {
        const info = ERROR_CODES[code];
        const status = info.status ?? '—';
        return `| \`${code}\` | ${info.retryable ? 'yes' : 'no'} | ${status} | ${info.httpStatus} | ${cell(info.message)} | ${cell(info.fix)} |`;
      });
    return [
      `**${GROUP_TITLES[group]}**`,
      '',
      '| code | retried | account status | HTTP | what the admin sees | fix |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  });
  return `${START}\n${sections.join('\n\n')}\n${END}`;
}

describe('error code table', () => {
  it('the README block is exactly the table (UPDATE_README=1 rewrites it)', () => {
    const readme = readFileSync(README, 'utf8');
    const block = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
    expect(readme.indexOf(START)).toBeGreaterThan(0);
    if (process.env.UPDATE_README === '1') writeFileSync(README, readme.replace(block, renderErrorTable()));
    expect(block).toBe(renderErrorTable());
  });

  it.each(codes)('the README row of %s shows its retry, account status, HTTP status, message and fix', (code) => {
    const readme = readFileSync(README, 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    const info = ERROR_CODES[code];
    expect(row?.split(' | ').slice(1, 4)).toEqual([
      info.retryable ? 'yes' : 'no',
      info.status ?? '—',
      String(info.httpStatus),
    ]);
    expect(row).toContain(cell(info.message));
    expect(row).toContain(cell(info.fix));
  });

  it('every code belongs to a group, has an HTTP error status and words for the admin', () => {
    for (const code of codes) {
      const info = ERROR_CODES[code];
      expect(Object.keys(GROUP_TITLES)).toContain(info.group);
      expect(info.httpStatus).toBeGreaterThanOrEqual(400);
      expect(info.httpStatus).toBeLessThan(600);
      expect(info.message.length).toBeGreaterThan(10);
      expect(info.fix.length).toBeGreaterThan(10);
    }
  });

  it('a status that needs an admin is never retried by itself; a retried fault of an upstream is a 5xx', () => {
    for (const code of codes) {
      const info = ERROR_CODES[code];
      if (info.status === 'needs_reauth' || info.status === 'app_error') expect(info.retryable).toBe(false);
      if (info.status === 'needs_reauth' || info.status === 'app_error') expect(info.httpStatus).toBeLessThan(500);
      if (info.group === 'input') expect(info.httpStatus).toBeLessThan(500);
    }
    expect(ERROR_CODES.ERR_TIMEOUT.httpStatus).toBe(504);
    expect(ERROR_CODES.ERR_DATABASE_UNAVAILABLE.httpStatus).toBe(503);
    expect(ERROR_CODES.ERR_MAIL_UNAVAILABLE.httpStatus).toBe(502);
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

  it('a typed error subclass is a PluginError whose secret field never serialises', () => {
    const error = new UnusableTokenResponseError('expires_in must be a number', 'refresh-secret', { httpStatus: 200 });
    expect(isPluginError(error)).toBe(true);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.code).toBe('ERR_TOKEN_RESPONSE_INVALID');
    expect(error.issuedRefreshToken).toBe('refresh-secret');
    expect(JSON.stringify(error)).not.toContain('refresh-secret');
    expect(JSON.stringify({ ...error })).not.toContain('refresh-secret');
    expect(Object.keys(error)).not.toContain('issuedRefreshToken');
  });
});
