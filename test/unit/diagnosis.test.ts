/** The diagnosis is the error table: every code has its row's words, and a known cause narrows the fix. */
import { diagnose, diagnoseCode } from '../../plugin/diagnosis';
import { ERROR_CODES, PluginError, type ErrorCodeInfo, type PluginErrorCode } from '../../plugin/errors';

const codes = Object.keys(ERROR_CODES) as PluginErrorCode[];

it.each(codes)('%s has a diagnosis: what happened and what to do', (code) => {
  const diagnosis = diagnoseCode(code);
  expect(diagnosis).toEqual({ code, message: ERROR_CODES[code].message, fix: ERROR_CODES[code].fix });
  expect(diagnosis.message.length).toBeGreaterThan(10);
  expect(diagnosis.fix.length).toBeGreaterThan(10);
});

it('every cause of a row has the server answer that tells it and its own fix', () => {
  for (const code of codes) {
    const causes = (ERROR_CODES[code] as ErrorCodeInfo).causes ?? {};
    for (const [cause, row] of Object.entries(causes)) {
      expect(row.when.length).toBeGreaterThan(20);
      expect(diagnose(new PluginError(code, 'x', { cause })).fix).toBe(row.fix);
    }
  }
  expect(Object.keys(ERROR_CODES.ERR_MAIL_AUTH_FAILED.causes)).toEqual(['scope_missing', 'protocol_disabled']);
});

it('an unknown cause, or none, gives the row; a bare code and anything thrown work too', () => {
  expect(diagnose(new PluginError('ERR_MAIL_AUTH_FAILED', 'x', { cause: 'other' })).fix).toBe(
    ERROR_CODES.ERR_MAIL_AUTH_FAILED.fix,
  );
  expect(diagnose('ERR_MAIL_TLS').fix).toContain('fetch.caCertPem');
  expect(diagnose(new Error('boom')).code).toBe('ERR_INTERNAL');
});

it('an interactive Connect is never told "nothing to do" for a provider failure', () => {
  for (const code of ['ERR_PROVIDER_UNAVAILABLE', 'ERR_PROVIDER_TLS', 'ERR_TOKEN_RESPONSE_INVALID'] as const)
    expect(ERROR_CODES[code].fix).not.toMatch(/^Nothing to do/);
  expect(ERROR_CODES.ERR_PROVIDER_TLS.fix).toContain('token.caCertPem');
  expect(ERROR_CODES.ERR_MAIL_TLS_MODE.fix).toMatch(/993.*143.*587/);
});
