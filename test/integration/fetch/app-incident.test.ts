// An app-level error (the provider refuses the app registration's client secret) through the poll cycle, against
// the real OAuth server (Microsoft profile: AADSTS7000222) and Dovecot on SQLite: one incident for the app, the
// accounts that have a grant say why they stop, never-connected accounts stay as they are, and one successful
// token request of any account of the app clears it all.
import type { TestDatabase } from '../../helpers/databases';
import { testDatabases } from '../../helpers/databases';
import {
  DEFAULT_USERS,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type TestUser,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createFetchWorld, type FetchWorld } from './fetch-world';
import { numberedMessage } from './mail-corpus';

const NAMES = ['quinn', 'rosa'];
const NEVER_CONNECTED = ['never-1@example.test', 'never-2@example.test', 'never-3@example.test'];
const users: TestUser[] = [
  ...DEFAULT_USERS,
  ...NAMES.map((name) => ({
    login: `${name}@example.test`,
    email: `${name}@example.test`,
    password: `${name}-password`,
    name,
  })),
];

let db: TestDatabase;
let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;
let world: FetchWorld;

/** Makes the stored access token look expired, so the next poll refreshes it. */
async function expireToken(accountId: string): Promise<void> {
  await world
    .knex('oauth2_mail_tokens')
    .where({ account_id: Number(accountId) })
    .update({ access_expires_at: 1 });
}

beforeAll(async () => {
  const dir = tempDir('o2m-app-incident');
  const sqlite = testDatabases().find((provider) => provider.name === 'sqlite');
  if (!sqlite) throw new Error('SQLite test database missing');
  db = await sqlite.create();
  oauthServer = await startOAuthServer({ profile: 'microsoft', dir, users, redirectUris: [TEST_REDIRECT_URI] });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
  world = await createFetchWorld({ knex: db.knex, oauthServer, dovecot });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
  await db?.destroy();
});

describe('an app-level error (SQLite, real OAuth server)', () => {
  it('one notification for the app, the connected accounts say why, never-connected ones untouched; the next good refresh clears it all', async () => {
    const [quinn, rosa] = await Promise.all(NAMES.map((name) => world.addAccount(`${name}@example.test`)));
    const never = [];
    for (const mailbox of NEVER_CONNECTED)
      never.push(
        await world.oauth.accounts.create(
          { appId: world.appId, mailbox, host: '127.0.0.1', port: dovecot.ports.imaps, tls: 'implicit' },
          'admin-1',
        ),
      );
    await dovecot.seed('rosa@example.test', [numberedMessage(1, 'rosa').raw]);
    const neverBefore = await Promise.all(never.map((a) => world.repositories.accounts.find(a.id)));

    await expireToken(quinn.id);
    await expireToken(rosa.id);
    await oauthServer.fault('invalid_client', 1);
    const [failed] = await world.poll(quinn.id);
    expect(failed).toMatchObject({
      outcome: 'failed',
      status: 'app_error',
      error: { code: 'ERR_CLIENT_SECRET_EXPIRED' },
    });

    const open = await world.openNotifications();
    expect(open).toHaveLength(1);
    expect(open[0].key).toBe(`oauth2-mail:app:${world.appId}:ERR_CLIENT_SECRET_EXPIRED`);
    expect(open[0].title).toContain('Local Microsoft');
    const stopped = await Promise.all([quinn, rosa].map((a) => world.repositories.accounts.find(a.id)));
    for (const account of stopped)
      expect(account).toMatchObject({ status: 'app_error', statusCode: 'ERR_CLIENT_SECRET_EXPIRED' });
    expect(stopped[1]?.statusDetail).toContain('Local Microsoft');
    expect(open[0].title).toContain('App registration');
    expect((await world.repositories.apps.find(world.appId))?.incident).toMatchObject({
      code: 'ERR_CLIENT_SECRET_EXPIRED',
    });
    for (const [i, account] of never.entries())
      expect(await world.repositories.accounts.find(account.id)).toEqual(neverBefore[i]);

    // The same incident seen again (another refresh refused) opens nothing new.
    await oauthServer.fault('invalid_client', 1);
    await world.poll(quinn.id);
    expect(await world.openNotifications()).toEqual([{ ...open[0], occurrences: 1 }]);

    // One good token request of ANY account of the app (rosa's refresh here) clears the app and every account.
    const [recovered] = await world.poll(rosa.id);
    expect(recovered).toMatchObject({ outcome: 'polled', fetched: 1, status: 'connected' });
    expect(await world.openNotifications()).toEqual([]);
    expect((await world.repositories.apps.find(world.appId))?.incident).toBeNull();
    for (const account of [quinn, rosa])
      expect(await world.repositories.accounts.find(account.id)).toMatchObject({
        status: 'connected',
        statusCode: null,
      });
    for (const [i, account] of never.entries())
      expect(await world.repositories.accounts.find(account.id)).toEqual(neverBefore[i]);
    const [again] = await world.poll(quinn.id);
    expect(again).toMatchObject({ outcome: 'polled', status: 'connected' });
  }, 90_000);
});
