/**
 * The new grants over the real pieces: knex repositories, the simple-oauth2 adapter (and its plain form requests)
 * at the local OAuth server, the imapflow fetcher at Dovecot. App-only (secret and certificate), delegated Connect
 * with a certificate, a Google-like service account with domain-wide delegation, and Connect with a code (device
 * flow: approved, denied, expired, slow_down). Private keys, key files and secrets never reach the database in
 * plain text or a log line.
 */
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import { createKnex } from '../../../host/create-knex';
import {
  completeAuthorization,
  completeDeviceAuthorization,
  createClientCertificate,
  privateKeyJwtMetadata,
  startDovecot,
  startOAuthServer,
  tempDir,
  type ClientCertificate,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { buildCore, dumpPluginTables, expireStoredToken, type Core } from './harness';

jest.setTimeout(120_000);

let microsoft: OAuthServerHandle;
let google: OAuthServerHandle;
let exchange: DovecotHandle;
let gmail: DovecotHandle;
let core: Core;
let certificate: ClientCertificate;
let wrongCertificate: ClientCertificate;

beforeAll(async () => {
  const dir = tempDir('oauth-app-grants');
  certificate = createClientCertificate(`${dir}/certs`, { name: 'app' });
  wrongCertificate = createClientCertificate(`${dir}/certs`, { name: 'wrong' });
  [microsoft, google] = await Promise.all([
    startOAuthServer({
      profile: 'microsoft',
      dir,
      redirectUris: [TEST_REDIRECT_URI],
      clients: [
        { appMailboxes: ['shared@example.test'] },
        { metadata: privateKeyJwtMetadata(certificate), appMailboxes: ['shared@example.test'] },
      ],
      deviceFlow: { intervalSeconds: 1 },
    }),
    startOAuthServer({
      profile: 'google',
      dir,
      serviceAccounts: [{}, { scopes: ['https://www.googleapis.com/auth/gmail.readonly'] }],
    }),
  ]);
  [exchange, gmail] = await Promise.all([
    startDovecot({ dir, oauth: microsoft }),
    startDovecot({ dir, oauth: google }),
  ]);
  core = await buildCore(createKnex(`${dir}/db.sqlite`), microsoft, {
    mailFetcher: new ImapFlowMailFetcher(),
    mailCaCertPem: exchange.caCertPem,
  });
});

afterAll(async () => {
  core?.services.deviceSignIns.cancelAll();
  await core?.knex.destroy();
  await Promise.all([exchange?.stop(), gmail?.stop(), microsoft?.stop(), google?.stop()]);
});

async function microsoftApp(credential: Record<string, string>, clientIndex = 0): Promise<string> {
  const app = await core.services.apps.create(
    {
      name: `Entra ${Object.keys(credential)[0]}`,
      provider: 'microsoft',
      tenant: microsoft.tenant,
      issuerUrl: microsoft.issuer,
      clientId: microsoft.clients[clientIndex]!.clientId,
      ...credential,
    },
    'admin-1',
  );
  return app.id;
}

async function account(
  appId: string,
  mailbox: string,
  authMode: string,
  dovecot: DovecotHandle = exchange,
): Promise<string> {
  // A mailbox is configured once: an earlier test's account of it goes first.
  for (const existing of await core.services.accounts.list())
    if (existing.mailbox === mailbox && existing.host === dovecot.host)
      await core.services.accounts.remove(existing.id, 'admin-1');
  return (
    await core.services.accounts.create(
      { appId, mailbox, authMode, host: dovecot.host, port: String(dovecot.ports.imaps), tls: 'implicit' },
      'admin-1',
    )
  ).id;
}

describe('app-only (client credentials)', () => {
  it('a client-secret app: the app token opens the mailbox the app may open (stored, connected), another mailbox refuses it (nothing stored)', async () => {
    const appId = await microsoftApp({ clientSecret: microsoft.clients[0]!.clientSecret });
    const shared = await account(appId, 'shared@example.test', 'app_only');
    await microsoft.resetStats();
    await expect(core.services.accounts.connect(shared, 'admin-1')).resolves.toMatchObject({ kind: 'connected' });
    expect(await core.repositories.accounts.find(shared)).toMatchObject({
      status: 'connected',
      authorizedIdentity: null,
    });
    expect((await core.repositories.tokens.find(shared))?.refreshToken).toBeNull();
    expect(await microsoft.stats()).toMatchObject({ clientCredentialsRequests: 1, refreshRequests: 0 });

    // Before expiry a new app token replaces it, through the token service like a refresh.
    const first = (await core.repositories.tokens.find(shared))!.accessToken;
    await expireStoredToken(core.knex, shared);
    const renewed = await core.services.tokenService.getAccessToken(shared);
    expect(renewed.accessToken).not.toBe(first);
    expect(await microsoft.stats()).toMatchObject({ clientCredentialsRequests: 2, refreshRequests: 0 });

    const alice = await account(appId, 'alice@example.test', 'app_only');
    const refused = await core.services.accounts.connect(alice, 'admin-1').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ERR_APP_MAILBOX_ACCESS_DENIED' });
    expect(await core.repositories.tokens.find(alice)).toBeNull();
    expect((await core.repositories.accounts.find(alice))?.status).toBe('not_connected');
  });

  it('a certificate app: a client assertion and no secret (the server refuses any secret beside one); a certificate the app does not know is an app error', async () => {
    const appId = await microsoftApp(
      { clientCertificate: certificate.certificatePem, clientKey: certificate.privateKeyPem },
      1,
    );
    const shared = await account(appId, 'shared@example.test', 'app_only');
    await microsoft.resetStats();
    await core.services.accounts.connect(shared, 'admin-1');
    expect(await core.repositories.accounts.find(shared)).toMatchObject({ status: 'connected' });
    expect(await microsoft.stats()).toMatchObject({ assertionRequests: 1, clientCredentialsRequests: 1 });

    const wrongApp = await microsoftApp(
      { clientCertificate: wrongCertificate.certificatePem, clientKey: wrongCertificate.privateKeyPem },
      1,
    );
    const other = await account(wrongApp, 'shared@example.test', 'app_only');
    await expect(core.services.accounts.connect(other, 'admin-1')).rejects.toMatchObject({
      code: 'ERR_CLIENT_ASSERTION_REFUSED',
      details: { providerCodes: ['700027'] },
    });
  });

  it('a certificate app also signs for delegated accounts: the code exchange and the refresh carry the assertion', async () => {
    const appId = await microsoftApp(
      { clientCertificate: certificate.certificatePem, clientKey: certificate.privateKeyPem },
      1,
    );
    const alice = await account(appId, 'alice@example.test', 'delegated');
    const { authorizationUrl } = await core.services.authorization.start(alice, 'admin-1');
    const back = await completeAuthorization(authorizationUrl, {
      login: 'alice@example.test',
      password: 'alice-password',
      caCertPem: microsoft.caCertPem,
    });
    await microsoft.resetStats();
    await core.services.authorization.complete(Object.fromEntries(new URL(back).searchParams), 'admin-1');
    await expireStoredToken(core.knex, alice);
    await core.services.tokenService.getAccessToken(alice);
    expect(await microsoft.stats()).toMatchObject({ assertionRequests: 2, codeRequests: 1, refreshRequests: 1 });
    expect(await core.repositories.accounts.find(alice)).toMatchObject({
      status: 'connected',
      authorizedIdentity: 'alice@example.test',
    });
  });
});

describe('service account (JWT bearer, domain-wide delegation)', () => {
  async function serviceAccountApp(index: number): Promise<string> {
    const key = google.serviceAccounts[index]!;
    const app = await core.services.apps.create(
      {
        name: `Workspace ${index}`,
        provider: 'google',
        issuerUrl: google.issuer,
        serviceAccountKey: JSON.stringify(key.keyFile),
      },
      'admin-1',
    );
    expect(app).toMatchObject({ clientId: key.clientId, serviceAccountTokenUrl: google.endpoints.token });
    return app.id;
  }

  it("gets a token for the mailbox at the key file's token_uri and proves it at the mailbox; an unknown user is this mailbox's problem", async () => {
    const appId = await serviceAccountApp(0);
    const bob = await account(appId, 'bob@example.test', 'service_account', gmail);
    await google.resetStats();
    await core.services.accounts.connect(bob, 'admin-1');
    expect(await core.repositories.accounts.find(bob)).toMatchObject({
      status: 'connected',
      statusDetail: expect.stringContaining(google.serviceAccounts[0]!.email),
    });
    expect((await google.stats()).jwtBearerRequests).toBe(1);

    const nobody = await account(appId, 'nobody@example.test', 'service_account', gmail);
    await expect(core.services.accounts.connect(nobody, 'admin-1')).rejects.toMatchObject({
      code: 'ERR_APP_MAILBOX_ACCESS_DENIED',
    });
  });

  it('a service account without the delegated mail scope: ERR_DELEGATION_DENIED, explained as the Admin console entry', async () => {
    const appId = await serviceAccountApp(1);
    const bob = await account(appId, 'bob@example.test', 'service_account', gmail);
    const error = await core.services.accounts.connect(bob, 'admin-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_DELEGATION_DENIED', details: { providerError: 'unauthorized_client' } });
  });
});

describe('Connect with a code (device flow)', () => {
  let appId: string;
  beforeAll(async () => {
    appId = await microsoftApp({ clientSecret: microsoft.clients[0]!.clientSecret });
  });

  it('approved on another device: the same identity check as Connect, then the grant is stored with its refresh token', async () => {
    const alice = await account(appId, 'alice@example.test', 'delegated');
    const view = await core.services.accounts.connectWithCode(alice, 'admin-1');
    expect(view).toMatchObject({ verificationUri: microsoft.endpoints.deviceVerification, intervalSeconds: 1 });
    await completeDeviceAuthorization(view.verificationUri, view.userCode, {
      login: 'alice@example.test',
      password: 'alice-password',
      caCertPem: microsoft.caCertPem,
    });
    await expect(core.services.accounts.waitForDeviceSignIn(alice)).resolves.toMatchObject({
      authorizedIdentity: 'alice@example.test',
    });
    expect((await core.repositories.tokens.find(alice))?.refreshToken).toEqual(expect.any(String));
    expect((await core.repositories.accounts.find(alice))?.status).toBe('connected');

    const carolMailbox = await account(appId, 'carol@example.test', 'delegated');
    const other = await core.services.accounts.connectWithCode(carolMailbox, 'admin-1');
    await completeDeviceAuthorization(other.verificationUri, other.userCode, {
      login: 'bob@example.test',
      password: 'bob-password',
      caCertPem: microsoft.caCertPem,
    });
    await expect(core.services.accounts.waitForDeviceSignIn(carolMailbox)).rejects.toMatchObject({
      code: 'ERR_IDENTITY_MISMATCH',
    });
    expect(await core.repositories.tokens.find(carolMailbox)).toBeNull();
  });

  it('denied and expired: the error, nothing stored', async () => {
    const denied = await account(appId, 'bob@example.test', 'delegated');
    const view = await core.services.accounts.connectWithCode(denied, 'admin-1');
    await completeDeviceAuthorization(view.verificationUri, view.userCode, {
      login: 'bob@example.test',
      password: 'bob-password',
      caCertPem: microsoft.caCertPem,
      deny: true,
    });
    await expect(core.services.accounts.waitForDeviceSignIn(denied)).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_DENIED',
      details: { providerError: 'authorization_declined' },
    });

    await microsoft.setDeviceFlow({ ttlSeconds: 2 });
    const expiring = await account(appId, 'shared@example.test', 'delegated');
    await core.services.accounts.connectWithCode(expiring, 'admin-1');
    await microsoft.setDeviceFlow({ ttlSeconds: 600 });
    await expect(core.services.accounts.waitForDeviceSignIn(expiring)).rejects.toMatchObject({
      code: 'ERR_DEVICE_CODE_EXPIRED',
    });
    expect(await core.repositories.tokens.find(denied)).toBeNull();
    expect(await core.repositories.tokens.find(expiring)).toBeNull();
  });

  it('slow_down: the next polls wait 5 s longer, and the server never finds one too early', async () => {
    const alice = (await core.repositories.accounts.list()).find(
      (a) => a.mailbox === 'alice@example.test' && a.authMode === 'delegated' && a.appId === appId,
    )!;
    await microsoft.resetStats();
    await microsoft.setDeviceFlow({ slowDown: 1 });
    const view = await core.services.accounts.connectWithCode(alice.id, 'admin-1');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(core.services.accounts.deviceSignIn(alice.id)?.intervalSeconds).toBe(6);
    await completeDeviceAuthorization(view.verificationUri, view.userCode, {
      login: 'alice@example.test',
      password: 'alice-password',
      caCertPem: microsoft.caCertPem,
    });
    await core.services.accounts.waitForDeviceSignIn(alice.id);
    const polls = await microsoft.devicePolls();
    expect(polls[0]).toMatchObject({ answer: 'slow_down' });
    expect(polls.slice(1).every((poll) => poll.answer === 'forwarded')).toBe(true);
    expect(polls[1]!.at - polls[0]!.at).toBeGreaterThanOrEqual(6000 - 100);
  });
});

it('no private key, key file or secret in the database in plain text or in a log line', async () => {
  const dump = await dumpPluginTables(core.knex);
  const logged = JSON.stringify(core.logger.lines);
  const keyBody = (pem: string) => pem.split('\n')[3] ?? pem;
  const secrets = [
    keyBody(certificate.privateKeyPem),
    keyBody(wrongCertificate.privateKeyPem),
    ...google.serviceAccounts.map((key) => keyBody(key.privateKeyPem)),
    ...google.serviceAccounts.map((key) => JSON.stringify(key.keyFile).slice(0, 60)),
    microsoft.clients[0]!.clientSecret,
  ];
  for (const secret of secrets) {
    expect(dump).not.toContain(secret);
    expect(logged).not.toContain(secret);
  }
  // Sealed, not dropped: the repository opens them again.
  const certificateApp = (await core.repositories.apps.list()).find((app) => app.credentialType === 'certificate')!;
  expect(await core.repositories.apps.privateKey(certificateApp.id)).toBe(certificate.privateKeyPem);
});
