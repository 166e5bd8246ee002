// The POP3 adapter against a real Dovecot (POP3 with STLS, POP3S) validating real tokens from the local OAuth2
// server; the tokens are padded past 1,024 bytes so the XOAUTH2 response must go in the continuation.
import * as net from 'node:net';
import { Pop3MailFetcher } from '../../../adapters/pop3/pop3-mail-fetcher';
import type { MailConnectionOptions } from '../../../plugin/ports/mail-fetcher';
import type { Pop3Session } from '../../../plugin/ports/pop3-mailbox';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { fullCorpus, servedOverPop3, sha256 } from '../fetch/mail-corpus';
import { codeFlowTokens } from '../imap/code-flow-token';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

let oauth: OAuthServerHandle;
let dovecot: DovecotHandle;
let aliceToken: string;
const fetcher = new Pop3MailFetcher({ allowInsecureLoopback: true });
const sessions: Pop3Session[] = [];

function pop3s(accessToken: string, extra: Partial<MailConnectionOptions> = {}): MailConnectionOptions {
  return {
    host: '127.0.0.1',
    port: dovecot.ports.pop3s,
    tls: 'implicit',
    user: ALICE,
    accessToken,
    caCertPem: dovecot.caCertPem,
    timeoutMs: 10_000,
    ...extra,
  };
}

async function open(options: MailConnectionOptions): Promise<Pop3Session> {
  const session = await fetcher.connect(options);
  sessions.push(session);
  return session;
}

beforeAll(async () => {
  const dir = tempDir('o2m-pop3');
  oauth = await startOAuthServer({ profile: 'microsoft', dir, accessTokenLength: 2_400 });
  dovecot = await startDovecot({ dir, oauth });
  aliceToken = (await codeFlowTokens(oauth, ALICE)).accessToken;
}, 60_000);

afterAll(async () => {
  for (const session of sessions) await session.close();
  await dovecot?.stop();
  await oauth?.stop();
});

describe('Pop3MailFetcher on Dovecot', () => {
  it('POP3S login with a token over 1 KB; the corpus byte-identical (NUL bytes too, dot-unstuffed)', async () => {
    expect(aliceToken.length).toBeGreaterThan(1024);
    const corpus = fullCorpus(3);
    // A line starting with a dot, which POP3 stuffs on the wire.
    const dotted = Buffer.from('Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n');
    const messages = [...corpus.map((m) => m.raw), dotted];
    await dovecot.seed(ALICE, messages);
    const session = await open(pop3s(aliceToken));
    expect(session.mechanism).toBe('XOAUTH2');
    expect(await session.stat()).toMatchObject({ count: messages.length });
    const listed = await session.list();
    expect(listed.map((m) => m.number)).toEqual(messages.map((_m, i) => i + 1));
    expect(new Set(listed.map((m) => m.uidl)).size).toBe(messages.length);
    for (const [i, message] of listed.entries()) {
      const raw = await session.retrieve(message.number);
      expect({ i, sha: raw ? sha256(raw) : null }).toEqual({ i, sha: sha256(servedOverPop3(messages[i])) });
      // LIST counts the message as stored; RETR of the empty one is one empty line.
      expect((raw?.length ?? 0) - message.size).toBe(messages[i].length === 0 ? 2 : 0);
    }
    expect(await session.retrieve(9999)).toBeNull();
    expect(await session.quit()).toBe(true);
    // The UIDLs are stable across sessions.
    const again = await open(pop3s(aliceToken));
    expect((await again.list()).map((m) => m.uidl)).toEqual(listed.map((m) => m.uidl));
    await again.close();
  });

  it('upgrades with STLS on the plain port; DELE is committed by QUIT only', async () => {
    await dovecot.seed(BOB, [Buffer.from('Subject: one\r\n\r\n1\r\n'), Buffer.from('Subject: two\r\n\r\n2\r\n')]);
    const bobToken = (await codeFlowTokens(oauth, BOB)).accessToken;
    const starttls = { port: dovecot.ports.pop3, tls: 'starttls' as const, user: BOB };
    const dropped = await open(pop3s(bobToken, starttls));
    await dropped.delete(1);
    await dropped.close();
    const kept = await open(pop3s(bobToken, starttls));
    expect((await kept.stat()).count).toBe(2);
    await kept.delete(1);
    await expect(kept.delete(1)).rejects.toMatchObject({ code: 'ERR_MAIL_OPERATION_FAILED' });
    expect(await kept.quit()).toBe(true);
    const after = await open(pop3s(bobToken, starttls));
    expect(await after.stat()).toMatchObject({ count: 1 });
    await after.close();
  });

  it('refuses a bad token (no token in the error), an unknown CA, cleartext off loopback, private hosts', async () => {
    // The server ignores the padding past the real token, so a token of the same length with other bytes.
    const bad = 'B'.repeat(aliceToken.length);
    const refused = await fetcher.connect(pop3s(bad)).catch((error: Error) => error);
    expect(refused).toMatchObject({ code: 'ERR_MAIL_AUTH_FAILED' });
    // Dovecot sent the error challenge (status 401), the client answered it and got the final -ERR.
    expect(refused).toMatchObject({ details: { oauthStatus: '401' } });
    expect(
      JSON.stringify({ message: (refused as Error).message, details: (refused as { details?: unknown }).details }),
    ).not.toContain(bad.slice(0, 40));
    await expect(fetcher.connect(pop3s(aliceToken, { caCertPem: null }))).rejects.toMatchObject({
      code: 'ERR_MAIL_TLS',
    });
    await expect(fetcher.connect(pop3s(aliceToken, { host: 'mail.example.test', tls: 'none' }))).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    await expect(new Pop3MailFetcher().connect(pop3s(aliceToken, { host: '10.0.0.1' }))).rejects.toMatchObject({
      code: 'ERR_ADDRESS_REFUSED',
    });
  });

  it('implicit TLS on the plain-text port is the TLS mode, a closed port is a closed port (not a certificate problem)', async () => {
    const mismatch = await fetcher.connect(pop3s(aliceToken, { port: dovecot.ports.pop3 })).catch((e: Error) => e);
    expect(mismatch).toMatchObject({ code: 'ERR_MAIL_TLS_MODE' });
    expect((mismatch as Error).message).toContain(`port ${dovecot.ports.pop3}`);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetcher.connect(pop3s(aliceToken, { port }))).rejects.toMatchObject({ code: 'ERR_MAIL_PORT_CLOSED' });
  });

  it('a server that goes silent is ERR_TIMEOUT after the command timeout', async () => {
    const clients: net.Socket[] = [];
    const silent = net.createServer((socket) => {
      clients.push(socket);
      socket.write('+OK ready\r\n');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      await expect(
        fetcher.connect(pop3s(aliceToken, { port, tls: 'none', commandTimeoutMs: 300 })),
      ).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    } finally {
      for (const client of clients) client.destroy();
      silent.close();
    }
  });
});
