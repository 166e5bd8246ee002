// The poll cycle with the app's own tokens, the plugin built as production builds it: an app-only account
// (client credentials) and a service-account account (JWT bearer) fetch their mail from Dovecot; when the
// mailbox stops accepting the app's token (the permission is gone) the next poll makes no ticket, and the account
// says why (ERR_APP_MAILBOX_ACCESS_DENIED, one notification).
import type { TestDatabase } from '../../helpers/databases';
import { testDatabases } from '../../helpers/databases';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { expireStoredToken } from '../oauth/harness';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { numberedMessage } from './mail-corpus';

jest.setTimeout(120_000);

let db: TestDatabase;
let microsoft: OAuthServerHandle;
let google: OAuthServerHandle;
let exchange: DovecotHandle;
let gmail: DovecotHandle;
let world: FetchWorld;

beforeAll(async () => {
  const dir = tempDir('o2m-app-grant-fetch');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  [microsoft, google] = await Promise.all([
    startOAuthServer({
      profile: 'microsoft',
      dir,
      redirectUris: [TEST_REDIRECT_URI],
      clients: [{ appMailboxes: ['shared@example.test'] }],
    }),
    startOAuthServer({ profile: 'google', dir, serviceAccounts: [{}] }),
  ]);
  [exchange, gmail] = await Promise.all([
    startDovecot({ dir, oauth: microsoft }),
    startDovecot({ dir, oauth: google }),
  ]);
  world = await createFetchWorld({ knex: db.knex, oauthServer: microsoft, dovecot: exchange });
});

afterAll(async () => {
  await Promise.all([exchange?.stop(), gmail?.stop(), microsoft?.stop(), google?.stop()]);
  await db?.destroy();
});

async function ticketCount(accountId: string): Promise<number> {
  return (await world.tickets.list({ accountId, limit: 1000 })).length;
}

async function accountFor(appId: string, mailbox: string, authMode: string, dovecot: DovecotHandle) {
  return world.oauth.accounts.create(
    { appId, mailbox, authMode, host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit', initialSync: 'all' },
    'admin-1',
  );
}

async function refusedAfterPermissionRemoved(accountId: string, mailbox: string, dovecot: DovecotHandle) {
  await dovecot.seed(mailbox, [numberedMessage(99, mailbox.split('@')[0]!).raw]);
  const before = await ticketCount(accountId);
  await expireStoredToken(db.knex, accountId);
  const [refused] = await world.poll(accountId);
  expect(refused).toMatchObject({
    outcome: 'failed',
    status: 'needs_reauth',
    fetched: 0,
    error: { code: 'ERR_APP_MAILBOX_ACCESS_DENIED' },
  });
  expect(await ticketCount(accountId)).toBe(before);
  expect(await world.repositories.accounts.find(accountId)).toMatchObject({
    status: 'needs_reauth',
    statusCode: 'ERR_APP_MAILBOX_ACCESS_DENIED',
    statusDetail: expect.stringContaining(mailbox),
  });
  await world.poll(accountId);
  const open = (await world.openNotifications()).filter((n) => n.key.includes(`account:${accountId}:`));
  expect(open).toEqual([
    expect.objectContaining({ key: `oauth2-mail:account:${accountId}:ERR_APP_MAILBOX_ACCESS_DENIED`, occurrences: 1 }),
  ]);
}

it('app-only: the app token fetches the mailbox the app may open; once the permission is gone, no ticket and a clear status', async () => {
  const app = await world.oauth.apps.create(
    {
      name: 'Entra app-only',
      provider: 'microsoft',
      tenant: microsoft.tenant,
      issuerUrl: microsoft.issuer,
      clientId: microsoft.client.clientId,
      clientSecret: microsoft.client.clientSecret,
    },
    'admin-1',
  );
  await exchange.seed('shared@example.test', [numberedMessage(1, 'shared').raw, numberedMessage(2, 'shared').raw]);
  const account = await accountFor(app.id, 'shared@example.test', 'app_only', exchange);
  await world.oauth.accounts.connect(account.id, 'admin-1');
  const [polled] = await world.poll(account.id);
  expect(polled).toMatchObject({ outcome: 'polled', fetched: 2, status: 'connected' });
  expect(await ticketCount(account.id)).toBe(2);

  await microsoft.setAppMailboxes(['alice@example.test']);
  await refusedAfterPermissionRemoved(account.id, 'shared@example.test', exchange);
});

it('service account: the token for the delegated subject fetches its mailbox; once its mail is off, no ticket and a clear status', async () => {
  const key = google.serviceAccounts[0]!;
  const app = await world.oauth.apps.create(
    { name: 'Workspace', provider: 'google', issuerUrl: google.issuer, serviceAccountKey: JSON.stringify(key.keyFile) },
    'admin-1',
  );
  await gmail.seed('bob@example.test', [numberedMessage(1, 'bob').raw]);
  const account = await accountFor(app.id, 'bob@example.test', 'service_account', gmail);
  await world.oauth.accounts.connect(account.id, 'admin-1');
  const [polled] = await world.poll(account.id);
  expect(polled).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
  expect(await ticketCount(account.id)).toBe(1);

  await google.setAppMailboxes(['alice@example.test'], key.clientId);
  await refusedAfterPermissionRemoved(account.id, 'bob@example.test', gmail);
});
