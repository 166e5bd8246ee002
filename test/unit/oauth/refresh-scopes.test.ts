/** plugin/oauth/scopes.ts refreshScopes: a refresh never asks for a mail scope the grant does not hold. */
import { refreshScopes } from '../../../plugin/oauth/scopes';

const IMAP = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const SMTP = 'https://outlook.office.com/SMTP.Send';
const requested = ['openid', 'profile', 'email', 'offline_access', IMAP, SMTP];

test('sending switched on after Connect: the refresh keeps to the granted IMAP scope', () => {
  expect(refreshScopes(requested, `${IMAP} openid profile email`)).toEqual([
    'openid',
    'profile',
    'email',
    'offline_access',
    IMAP,
  ]);
});

test('a grant with both keeps both; no recorded grant asks for everything', () => {
  expect(refreshScopes(requested, `${SMTP} ${IMAP}`)).toEqual(requested);
  expect(refreshScopes(requested, null)).toEqual(requested);
});

test('a provider that names granted scopes in another form: the request stays as it was', () => {
  expect(refreshScopes(requested, 'IMAP.AccessAsUser.All SMTP.Send')).toEqual(requested);
});
