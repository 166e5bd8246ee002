// A checkout under a private folder (mode 0700, like /root or a `mktemp -d`) must still give a working Dovecot:
// its unprivileged users cannot pass through that folder, so the test environment keeps Dovecot's files elsewhere.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { codeFlowTokens } from './imap/code-flow-token';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../helpers/test-env';

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let oauth: OAuthServerHandle | undefined;
let dovecot: DovecotHandle | undefined;

afterAll(async () => {
  await dovecot?.stop();
  await oauth?.stop();
});

// Only root runs Dovecot's mail processes as another (unprivileged) user; as any other user there is nothing to cross.
(runningAsRoot ? test : test.skip)(
  'Dovecot seeds and serves mail when the run folder sits under a private folder',
  async () => {
    const privateParent = tempDir('o2m-private');
    chmodSync(privateParent, 0o700);
    const dir = join(privateParent, 'run');
    mkdirSync(dir);
    oauth = await startOAuthServer({
      profile: 'microsoft',
      dir,
      redirectUris: ['http://127.0.0.1:4999/plugins/oauth2-mail/callback'],
    });
    dovecot = await startDovecot({ dir, oauth });
    expect(dovecot.mailHome('alice@example.test').startsWith(privateParent)).toBe(false);
    await dovecot.seed('alice@example.test', [
      Buffer.from('Subject: private folder\r\nMessage-ID: <p1@test>\r\n\r\nhello\r\n'),
    ]);
    expect((await dovecot.status('alice@example.test')).messages).toBe(1);

    const { accessToken } = await codeFlowTokens(oauth, 'alice@example.test');
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: dovecot.ports.imaps,
      secure: true,
      tls: { ca: oauth.caCertPem },
      auth: { user: 'alice@example.test', accessToken },
      logger: false,
    });
    client.on('error', () => undefined);
    await client.connect();
    const box = await client.mailboxOpen('INBOX');
    expect(box.exists).toBe(1);
    await client.logout();

    const home = dovecot.mailHome('alice@example.test');
    await dovecot.stop();
    expect(existsSync(home)).toBe(false);
  },
);
