// The IMAP adapter against a real Dovecot validating real tokens from the local OAuth2 server.
import * as net from 'node:net';
import { ImapFlow } from 'imapflow';
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import type { MailConnectionOptions, MailSession } from '../../../plugin/ports/mail-fetcher';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { fullCorpus, servedByDovecot, sha256 } from '../fetch/mail-corpus';
import { codeFlowTokens } from './code-flow-token';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

let oauth: OAuthServerHandle;
let dovecot: DovecotHandle;
let aliceToken: string;
let bobToken: string;
const fetcher = new ImapFlowMailFetcher({ allowInsecureLoopback: true });
const sessions: MailSession[] = [];

function imaps(accessToken: string, extra: Partial<MailConnectionOptions> = {}): MailConnectionOptions {
  return {
    host: '127.0.0.1',
    port: dovecot.ports.imaps,
    tls: 'implicit',
    user: ALICE,
    accessToken,
    caCertPem: dovecot.caCertPem,
    timeoutMs: 10_000,
    ...extra,
  };
}

async function open(options: MailConnectionOptions): Promise<MailSession> {
  const session = await fetcher.connect(options);
  sessions.push(session);
  return session;
}

/** A second, independent client to check what the adapter did on the server. */
async function verifier(): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: ALICE, accessToken: aliceToken },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A TCP proxy to Dovecot's cleartext port that hides AUTH=OAUTHBEARER, so the client must use XOAUTH2. */
function xoauth2OnlyProxy(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(dovecot.ports.imap, '127.0.0.1');
    upstream.on('data', (chunk: Buffer) =>
      socket.write(chunk.toString('latin1').replace(/ AUTH=OAUTHBEARER/g, ''), 'latin1'),
    );
    socket.pipe(upstream);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  const dir = tempDir('o2m-imap');
  oauth = await startOAuthServer({ profile: 'microsoft', dir });
  dovecot = await startDovecot({ dir, oauth });
  aliceToken = (await codeFlowTokens(oauth, ALICE)).accessToken;
  bobToken = (await codeFlowTokens(oauth, BOB)).accessToken;
}, 60_000);

afterAll(async () => {
  for (const session of sessions) await session.close();
  await dovecot?.stop();
  await oauth?.stop();
});

describe('ImapFlowMailFetcher on Dovecot', () => {
  it('downloads every corpus message byte-identical over IMAPS (custom CA, OAUTHBEARER), in UID order (Dovecot turns NUL into 0x80)', async () => {
    const corpus = fullCorpus(3);
    await dovecot.seed(
      ALICE,
      corpus.map((m) => m.raw),
      'Corpus',
    );
    const session = await open(imaps(aliceToken));
    expect(session.mechanism).toBe('OAUTHBEARER');
    const folder = await session.openFolder('Corpus');
    expect(folder).toMatchObject({ path: 'Corpus', exists: corpus.length });
    expect(folder.uidValidity).toMatch(/^\d+$/);
    const listed = await session.listMessages({ fromUid: 1 });
    expect(listed.map((m) => m.uid)).toEqual(corpus.map((_m, i) => i + 1));
    expect(listed.map((m) => m.size)).toEqual(corpus.map((m) => m.raw.length));
    const identical: string[] = [];
    for (const [i, summary] of listed.entries()) {
      const raw = await session.download(summary.uid);
      expect({ name: corpus[i].name, sha: raw ? sha256(raw) : null }).toEqual({
        name: corpus[i].name,
        sha: sha256(servedByDovecot(corpus[i].raw)),
      });
      if (raw?.equals(corpus[i].raw)) identical.push(corpus[i].name);
    }
    // Every seeded file but the one with NUL bytes comes back exactly as written.
    expect(corpus.map((m) => m.name).filter((name) => !identical.includes(name))).toEqual(['08-nul-bytes.eml']);
    expect(await session.listMessages({ fromUid: corpus.length + 1 })).toEqual([]);
    expect((await session.listMessages({ fromUid: 3, limit: 4 })).map((m) => m.uid)).toEqual([3, 4, 5, 6]);
    expect(await session.listMessages({ fromUid: corpus.length + 1, limit: 4 })).toEqual([]);
    expect(await session.download(9999)).toBeNull();
    // The batch download gives the very same bytes in one FETCH; a UID that is not there is simply absent.
    expect(session.downloadMany).toBeInstanceOf(Function);
    const downloadMany = (uids: number[]) =>
      session.downloadMany?.(uids) ?? Promise.reject(new Error('no downloadMany'));
    const many = await downloadMany(listed.map((m) => m.uid).concat(9999));
    expect([...many.keys()].sort((a, b) => a - b)).toEqual(listed.map((m) => m.uid));
    for (const [i, summary] of listed.entries()) {
      expect({ name: corpus[i].name, sha: sha256(many.get(summary.uid) ?? Buffer.alloc(0)) }).toEqual({
        name: corpus[i].name,
        sha: sha256(servedByDovecot(corpus[i].raw)),
      });
    }
    expect((await downloadMany([])).size).toBe(0);
    expect((await session.listMessages({ fromUid: 1, unseenOnly: true })).length).toBe(corpus.length);
  });

  it('reports what Dovecot does with a bare-LF message (served as stored, or normalised to CRLF)', async () => {
    const lf = Buffer.from('Message-ID: <bare-lf@example.test>\nSubject: bare LF\n\nline one\nline two\n');
    await dovecot.seed(ALICE, [lf], 'BareLF');
    const session = await open(imaps(aliceToken));
    await session.openFolder('BareLF');
    const [summary] = await session.listMessages({ fromUid: 1 });
    const raw = await session.download(summary.uid);
    const crlf = Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    const served = raw?.equals(lf)
      ? 'as stored (bare LF)'
      : raw?.equals(crlf)
        ? 'normalised to CRLF'
        : 'something else';
    console.log(
      `Dovecot serves a bare-LF Maildir message ${served}; listed size ${summary.size}, stored ${lf.length}, CRLF ${crlf.length}`,
    );
    expect(served).not.toBe('something else');
    expect(summary.size).toBe(raw?.length);
  });

  it('lists only unseen messages when asked', async () => {
    await dovecot.seed(
      ALICE,
      [
        { raw: Buffer.from('Subject: a\r\n\r\na\r\n'), seen: true },
        { raw: Buffer.from('Subject: b\r\n\r\nb\r\n') },
        { raw: Buffer.from('Subject: c\r\n\r\nc\r\n'), seen: true },
      ],
      'Flags',
    );
    const session = await open(imaps(aliceToken));
    await session.openFolder('Flags');
    const all = await session.listMessages({ fromUid: 1 });
    expect(all.map((m) => [m.uid, m.seen])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect((await session.listMessages({ fromUid: 1, unseenOnly: true })).map((m) => m.uid)).toEqual([2]);
  });

  it('upgrades with STARTTLS on the plain port, and uses XOAUTH2 when OAUTHBEARER is not offered', async () => {
    const starttls = await open(imaps(aliceToken, { port: dovecot.ports.imap, tls: 'starttls' }));
    expect((await starttls.listFolders()).length).toBeGreaterThan(0);
    const proxy = await xoauth2OnlyProxy();
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const session = await open(imaps(aliceToken, { port, tls: 'none' }));
      expect(session.mechanism).toBe('XOAUTH2');
      expect((await session.openFolder('INBOX')).path).toBe('INBOX');
      await session.close();
    } finally {
      proxy.close();
    }
  });

  it('verifies TLS: an unknown CA is ERR_MAIL_TLS, never a silent fallback; cleartext only to loopback when allowed', async () => {
    await expect(fetcher.connect(imaps(aliceToken, { caCertPem: null }))).rejects.toMatchObject({
      code: 'ERR_MAIL_TLS',
    });
    await expect(
      fetcher.connect(imaps(aliceToken, { port: dovecot.ports.imap, tls: 'starttls', caCertPem: null })),
    ).rejects.toMatchObject({ code: 'ERR_MAIL_TLS' });
    await expect(
      new ImapFlowMailFetcher().connect(imaps(aliceToken, { port: dovecot.ports.imap, tls: 'none' })),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(fetcher.connect(imaps(aliceToken, { host: 'imap.example.test', tls: 'none' }))).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });

  it('maps refusals: wrong or garbage tokens, a missing folder, a closed port, implicit TLS on the plain port', async () => {
    const wrongUser = fetcher.connect(imaps(bobToken));
    await expect(wrongUser).rejects.toMatchObject({ code: 'ERR_MAIL_AUTH_FAILED' });
    const garbage = await fetcher.connect(imaps('not-a-token-at-all')).then(
      () => new Error('connected'),
      (e: unknown) => e as Error,
    );
    expect(garbage).toMatchObject({ code: 'ERR_MAIL_AUTH_FAILED' });
    expect(garbage.message).not.toContain('not-a-token-at-all');
    const session = await open(imaps(aliceToken));
    await expect(session.openFolder('NoSuchFolder')).rejects.toMatchObject({ code: 'ERR_MAIL_FOLDER_NOT_FOUND' });
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    closed.close();
    await expect(fetcher.connect(imaps(aliceToken, { port }))).rejects.toMatchObject({ code: 'ERR_MAIL_PORT_CLOSED' });
    // OpenSSL reads Dovecot's plain-text greeting as a TLS record: "wrong version number", not a certificate problem.
    const mismatch = await fetcher.connect(imaps(aliceToken, { port: dovecot.ports.imap, tls: 'implicit' })).then(
      () => new Error('connected'),
      (e: unknown) => e as Error,
    );
    expect(mismatch).toMatchObject({ code: 'ERR_MAIL_TLS_MODE' });
    expect(mismatch.message).toContain(`port ${dovecot.ports.imap}`);
  });

  it('marks seen, moves and deletes, as a separate client sees on the server; a move to a missing folder is ERR_MAIL_OPERATION_FAILED', async () => {
    const raws = [1, 2, 3, 4].map((n) =>
      Buffer.from(`Message-ID: <act-${n}@example.test>\r\nSubject: action ${n}\r\n\r\nbody ${n}\r\n`),
    );
    await dovecot.seed(ALICE, raws, 'Actions');
    const check = await verifier();
    try {
      await check.mailboxCreate('Processed').catch(() => undefined);
      const session = await open(imaps(aliceToken));
      await session.openFolder('Actions');
      await session.markSeen(1);
      await session.move(2, 'Processed');
      await session.delete(3);
      await expect(session.move(4, 'Does-Not-Exist')).rejects.toMatchObject({ code: 'ERR_MAIL_OPERATION_FAILED' });
      await session.close();

      await check.mailboxOpen('Actions');
      const left = await check.fetchAll('1:*', { uid: true, flags: true, source: true }, { uid: true });
      expect(left.map((m) => [m.uid, m.flags?.has('\\Seen') ?? false])).toEqual([
        [1, true],
        [4, false],
      ]);
      expect(left.find((m) => m.uid === 4)?.flags?.has('\\Deleted')).toBe(false);
      await check.mailboxOpen('Processed');
      const moved = await check.fetchAll('1:*', { uid: true, source: true }, { uid: true });
      expect(moved.map((m) => m.source?.equals(raws[1]))).toEqual([true]);
    } finally {
      await check.logout();
    }
  });

  it("a revoked grant's token is refused at the next login", async () => {
    const session = await open(imaps(bobToken, { user: BOB }));
    await session.close();
    await oauth.revokeUser(BOB);
    await expect(fetcher.connect(imaps(bobToken, { user: BOB }))).rejects.toMatchObject({
      code: 'ERR_MAIL_AUTH_FAILED',
    });
  });

  it('the authorization server unreachable is transient (NO [UNAVAILABLE] -> ERR_MAIL_UNAVAILABLE), not a dead grant', async () => {
    await oauth.stop();
    const failure = await fetcher
      .connect(imaps(aliceToken))
      .catch((e: unknown) => e as { code: string; details: Record<string, unknown> });
    expect(failure).toMatchObject({ code: 'ERR_MAIL_UNAVAILABLE', details: { serverResponseCode: 'UNAVAILABLE' } });
  });
});
