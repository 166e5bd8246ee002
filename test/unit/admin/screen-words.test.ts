// The admin screen's words: every form message names its field, the history says what happened instead of the
// services' raw values, and a poll's result is one line (or nothing for an idle poll).
import { fieldErrorsOf } from '../../../plugin/admin/field-errors';
import { eventWords } from '../../../plugin/admin/event-words';
import { labelledMessage } from '../../../plugin/admin/field-labels';
import { readNotice } from '../../../plugin/admin/notices';
import { pollResultWords } from '../../../plugin/fetch/poll-result-words';
import { PluginError } from '../../../plugin/errors';

describe('form messages', () => {
  it('name the field in the form’s words, above the form too', () => {
    const error = new PluginError('ERR_INPUT_INVALID', 'Invalid app registration: …', {
      problems: ['clientSecret: is required', 'tenant: must be a tenant GUID', 'cloud: must be global, usgov or china'],
    });
    expect(fieldErrorsOf(error, ['clientSecret', 'tenant'])).toEqual({
      clientSecret: ['Client secret is required'],
      tenant: ['Tenant must be a tenant GUID'],
      _form: ['Cloud must be global, usgov or china'],
    });
    expect(labelledMessage('mailbox', 'is already configured as mail account 1')).toBe(
      'Mailbox address is already configured as mail account 1',
    );
    expect(labelledMessage('unknownField', 'is odd')).toBe('unknownField: is odd');
  });
});

describe('history words', () => {
  it('a status change reads as the badges say it, with its reason', () => {
    expect(eventWords({ type: 'status_changed', message: 'Status not_connected -> connected.' })).toEqual({
      what: 'Status changed',
      details: 'Now connected (was not connected).',
    });
    expect(
      eventWords({
        type: 'status_changed',
        message: 'Status connected -> not_connected: Disconnected by a@b.test at 2026-12-01 10:00 UTC.',
      }),
    ).toEqual({
      what: 'Status changed',
      details: 'Now not connected (was connected): Disconnected by a@b.test at 2026-12-01 10:00 UTC.',
    });
    expect(eventWords({ type: 'auth_failed', message: 'Connect failed: x' })).toEqual({
      what: 'Sign-in failed',
      details: 'Connect failed: x',
    });
  });

  it('a poll that brought nothing records nothing; one that did says what', () => {
    expect(pollResultWords({ fetched: 0, duplicates: 2, skipped: 0, failed: 0 })).toBeNull();
    expect(pollResultWords({ fetched: 1, duplicates: 0, skipped: 0, failed: 0 })).toBe(
      'Fetched: 1 new message made into tickets.',
    );
    expect(pollResultWords({ fetched: 3, duplicates: 1, skipped: 1, failed: 2 })).toBe(
      'Fetched: 3 new messages made into tickets, 1 duplicate ignored, 1 left on the server (too large), ' +
        '2 refused by the helpdesk (retried next cycle).',
    );
  });
});

describe('Connect notices', () => {
  it('a refused identity says how to sign out at the provider; only known codes are read back', () => {
    const refused = readNotice({ notice: 'connect_failed', code: 'ERR_IDENTITY_MISMATCH' });
    expect(refused).toMatchObject({ tone: 'error' });
    expect(refused!.fix).toContain('sign out at the provider');
    expect(readNotice({ notice: 'connect_failed', code: '<script>' })!.text).not.toContain('<script>');
    expect(readNotice({ notice: 'connect_link_used' })).toMatchObject({ tone: 'info' });
  });
});
