// The network policy on the real sockets: provider calls (discovery/JWKS over the small HTTP client, the token
// endpoint through simple-oauth2) and IMAP connections resolve host names through the guarded lookup, so a name
// that resolves to a link-local, metadata or private address (DNS rebinding) is never connected to, while the
// same name resolving to the local servers works. The resolver is the adapters' test seam: `localhost` is made to
// answer with whatever address the case needs; the servers are the local OAuth server and Dovecot.
import type { LookupAddress } from 'node:dns';
import { ImapFlowMailFetcher } from '../../adapters/imapflow/imapflow-mail-fetcher';
import { SimpleOAuth2Client } from '../../adapters/simple-oauth2/simple-oauth2-client';
import type { ResolveAll } from '../../lib/net/guarded-lookup';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../helpers/test-env';

let oauthServer: OAuthServerHandle;
let dovecot: DovecotHandle;

/** A resolver that answers every name with `address`. */
function answering(address: string): ResolveAll {
  return (_name, _options, callback) =>
    callback(null, [{ address, family: address.includes(':') ? 6 : 4 } satisfies LookupAddress]);
}

/** The same URL with the host name `localhost` (which the servers' certificate covers) instead of 127.0.0.1. */
const viaName = (url: string) => url.replace('//127.0.0.1:', '//localhost:');

beforeAll(async () => {
  const dir = tempDir('o2m-network-policy');
  oauthServer = await startOAuthServer({ profile: 'google', dir });
  dovecot = await startDovecot({ dir, oauth: oauthServer });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await oauthServer?.stop();
});

describe('provider calls', () => {
  const client = (address: string, allowPrivateNetworks = false) =>
    new SimpleOAuth2Client({ caCertPem: oauthServer.caCertPem, resolveAll: answering(address), allowPrivateNetworks });

  it('fetch the key set through a name that resolves to the server', async () => {
    await expect(client('127.0.0.1').fetchJwks(viaName(oauthServer.endpoints.jwks))).resolves.toMatchObject({
      keys: expect.any(Array),
    });
  });

  it.each(['169.254.169.254', '10.0.0.1'])(
    'refuse a name that resolves to %s: ERR_ADDRESS_REFUSED, nothing sent',
    async (address) => {
      const before = await oauthServer.stats();
      await expect(client(address).fetchJwks(viaName(oauthServer.endpoints.jwks))).rejects.toMatchObject({
        code: 'ERR_ADDRESS_REFUSED',
        message: expect.stringContaining(`localhost resolves to ${address}`),
      });
      const config = {
        endpoints: {
          authorizeUrl: viaName(oauthServer.endpoints.authorization),
          tokenUrl: viaName(oauthServer.endpoints.token),
          revocationUrl: viaName(oauthServer.endpoints.revocation),
          userinfoUrl: null,
          jwksUri: null,
          issuer: oauthServer.issuer,
        },
        clientId: oauthServer.client.clientId,
        clientSecret: oauthServer.client.clientSecret,
        clientAuthMethod: 'client_secret_post' as const,
      };
      await expect(client(address).refresh(config, { refreshToken: 'r' })).rejects.toMatchObject({
        code: 'ERR_ADDRESS_REFUSED',
      });
      // The form requests (client credentials, certificates, device code) go through the same policy and words.
      await expect(client(address).clientCredentials(config, { scope: null })).rejects.toMatchObject({
        code: 'ERR_ADDRESS_REFUSED',
      });
      expect((await oauthServer.stats()).refreshRequests).toBe(before.refreshRequests);
    },
  );

  it('allow a private answer with allowPrivateNetworks (the request then fails only because nothing listens there)', async () => {
    const thrown = await client('10.255.255.1', true)
      .fetchJwks(viaName(oauthServer.endpoints.jwks))
      .catch((error: unknown) => error);
    expect(thrown).toMatchObject({ code: 'ERR_PROVIDER_UNAVAILABLE' });
  }, 30_000);
});

describe('IMAP connections', () => {
  const fetcher = (address: string) => new ImapFlowMailFetcher({ resolveAll: answering(address) });
  const connection = (host: string) => ({
    host,
    port: dovecot.ports.imaps,
    tls: 'implicit' as const,
    user: 'alice@example.test',
    accessToken: 'not-a-valid-token',
    caCertPem: dovecot.caCertPem,
    timeoutMs: 5_000,
  });

  it('reach Dovecot through a name that resolves to it (the bogus token is refused by the server itself)', async () => {
    await expect(fetcher('127.0.0.1').connect(connection('localhost'))).rejects.toMatchObject({
      code: 'ERR_MAIL_AUTH_FAILED',
    });
  });

  it.each(['169.254.169.254', 'fe80::1', '192.168.1.1'])(
    'refuse a name that resolves to %s: ERR_ADDRESS_REFUSED before any byte is sent',
    async (address) => {
      await expect(fetcher(address).connect(connection('localhost'))).rejects.toMatchObject({
        code: 'ERR_ADDRESS_REFUSED',
        message: expect.stringContaining(`localhost resolves to ${address}`),
      });
    },
  );

  it('refuse an address literal of a refused class without resolving anything', async () => {
    await expect(fetcher('127.0.0.1').connect(connection('169.254.169.254'))).rejects.toMatchObject({
      code: 'ERR_ADDRESS_REFUSED',
    });
  });
});
