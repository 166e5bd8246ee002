/**
 * The identity check of Connect against the real pieces: the local OAuth server's ID token, and a real IMAP
 * login at Dovecot (through the imapflow MailFetcher) when the signed-in identity is not the mailbox.
 * A hybrid account whose UPN differs from its mailbox is stored as a delegate; someone who cannot open the
 * mailbox stores nothing and is named.
 */
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import { createKnex } from '../../../host/create-knex';
import {
  DEFAULT_USERS,
  SHARED_MAILBOX,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { buildCore, connect, createApp, type Core } from './harness';

jest.setTimeout(90_000);

let server: OAuthServerHandle;
let dovecot: DovecotHandle;
let core: Core;
let appId: string;

beforeAll(async () => {
  const dir = tempDir('oauth-identity');
  // dave's ID token names only his UPN (like a synchronized account); his mailbox is dave@example.test.
  const users = [
    ...DEFAULT_USERS,
    {
      login: 'dave@corp.example.test',
      email: 'dave@example.test',
      password: 'dave-password',
      name: 'Dave Hybrid',
      idTokenEmail: null,
    },
  ];
  server = await startOAuthServer({ profile: 'microsoft', dir, users, redirectUris: [TEST_REDIRECT_URI] });
  dovecot = await startDovecot({ dir, oauth: server });
  core = await buildCore(createKnex(`${dir}/db.sqlite`), server, {
    mailFetcher: new ImapFlowMailFetcher(),
    mailCaCertPem: dovecot.caCertPem,
  });
  appId = await createApp(core, server);
});

afterAll(async () => {
  await core?.knex.destroy();
  await dovecot?.stop();
  await server?.stop();
});

async function account(mailbox: string, sharedViaDelegate = false): Promise<string> {
  return (
    await core.services.accounts.create(
      {
        appId,
        mailbox,
        host: dovecot.host,
        port: String(dovecot.ports.imaps),
        tls: 'implicit',
        sharedViaDelegate: String(sharedViaDelegate),
      },
      'admin-1',
    )
  ).id;
}

it('a hybrid account (UPN is not the mailbox) that opens the mailbox is stored as a delegate: "signed in as X for mailbox Y"', async () => {
  const id = await account('dave@example.test');
  const { result } = await connect(core, server, id, 'dave@corp.example.test');
  expect(result).toMatchObject({
    delegate: true,
    authorizedIdentity: 'dave@corp.example.test',
    message: 'Signed in as dave@corp.example.test for mailbox dave@example.test.',
  });
  expect(await core.repositories.accounts.find(id)).toMatchObject({
    status: 'connected',
    authorizedIdentity: 'dave@corp.example.test',
    statusDetail: 'Signed in as dave@corp.example.test for mailbox dave@example.test.',
  });
  expect(await core.repositories.tokens.find(id)).not.toBeNull();
});

it('someone who cannot open the mailbox: nothing stored, and the message says who signed in', async () => {
  const id = await account(SHARED_MAILBOX, true);
  const { result } = await connect(core, server, id, 'alice@example.test');
  expect(result).toMatchObject({ code: 'ERR_IDENTITY_MISMATCH' });
  expect((result as Error).message).toBe(
    `Signed in as alice@example.test, who cannot open mailbox ${SHARED_MAILBOX}. Nothing was stored.`,
  );
  expect(await core.repositories.tokens.find(id)).toBeNull();
  expect(await core.repositories.accounts.find(id)).toMatchObject({
    status: 'not_connected',
    authorizedIdentity: null,
  });
  const events = await core.repositories.events.list({ accountId: id, limit: 10 });
  expect(events.map((e) => [e.type, e.code])).toContainEqual(['auth_failed', 'ERR_IDENTITY_MISMATCH']);
});

it('the mailbox owner signing in needs no mailbox login', async () => {
  const id = await account('bob@example.test');
  const { result } = await connect(core, server, id, 'bob@example.test');
  expect(result).toMatchObject({ delegate: false, authorizedIdentity: 'bob@example.test' });
});
