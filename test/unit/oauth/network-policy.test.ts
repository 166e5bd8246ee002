// Where the plugin connects: issuer, endpoints and mail hosts refused when they are link-local or a cloud metadata
// service (or unspecified / reserved), private networks only with allowPrivateNetworks, loopback as before; when the
// app or account is saved, when discovery names its endpoints, and per address class.
import { classifyAddress, classifyHost, type AddressClass } from '../../../lib/net/address-class';
import { AccountService } from '../../../plugin/accounts/account-service';
import { AppService } from '../../../plugin/oauth/app-service';
import { EndpointResolver } from '../../../plugin/oauth/providers/endpoint-resolver';
import type { LoggerPort } from '../../../plugin/ports/host';
import { ScriptedOAuthClient } from '../../helpers/fakes/scripted-oauth-client';
import { ManualClock } from '../../helpers/manual-clock';
import { createMemoryRepositories } from '../../helpers/memory';

const logger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };

function services(allowPrivateNetworks: boolean) {
  const clock = new ManualClock();
  const { apps, accounts, events } = createMemoryRepositories(clock);
  const appService = new AppService({
    apps,
    accounts,
    events,
    clock,
    allowInsecureLoopback: false,
    allowPrivateNetworks,
  });
  const accountService = new AccountService({
    accounts,
    apps,
    events,
    clock,
    logger,
    authorization: { start: async () => ({ authorizationUrl: 'https://x.test', expiresAt: 0 }) },
    disconnect: {
      disconnect: async () => ({ accountId: '', revoked: false, revocationSupported: false, warning: null }),
    },
    appConnect: { connect: async () => Promise.reject(new Error('not in this test')) },
    deviceSignIns: {
      start: async () => Promise.reject(new Error('not in this test')),
      view: () => null,
      wait: async () => Promise.reject(new Error('not in this test')),
    },
    allowInsecureLoopback: false,
    allowPrivateNetworks,
  });
  return { apps: appService, accounts: accountService };
}

const genericApp = (issuerUrl: string) => ({
  name: 'IdP',
  provider: 'generic',
  issuerUrl,
  clientId: 'c',
  clientSecret: 's',
});

/** Hosts of every class, as a URL host and as a mail server name. */
const HOSTS: ReadonlyArray<readonly [string, AddressClass]> = [
  ['169.254.169.254', 'metadata'],
  ['169.254.1.1', 'link-local'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['metadata.google.internal', 'metadata'],
  ['METADATA.GOOGLE.INTERNAL.', 'metadata'],
  ['metadata.goog', 'metadata'],
  ['[fd00:ec2::254]', 'metadata'],
  ['[fe80::1]', 'link-local'],
  ['[::ffff:169.254.169.254]', 'metadata'],
  ['[64:ff9b::a9fe:a9fe]', 'metadata'],
  ['2852039166', 'metadata'],
  ['0xa9fea9fe', 'metadata'],
  ['169.254.43518', 'metadata'],
  ['0.0.0.0', 'unspecified'],
  ['[::]', 'unspecified'],
  ['224.0.0.1', 'reserved'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.10', 'private'],
  ['100.64.0.1', 'private'],
  ['[fc00::1]', 'private'],
  ['[fd12:3456::1]', 'private'],
  ['127.0.0.1', 'loopback'],
  ['[::1]', 'loopback'],
  ['172.32.0.1', 'public'],
  ['8.8.8.8', 'public'],
  ['[2001:db8::1]', 'public'],
  ['login.example.com', 'public'],
];

describe('address classes', () => {
  it.each(HOSTS)('%s is %s', (host, expected) => {
    expect(classifyHost(host) ?? 'public').toBe(expected);
  });

  it('classifies resolved addresses as the resolver gives them', () => {
    expect(classifyAddress('169.254.169.254')).toBe('metadata');
    expect(classifyAddress('fe80::1%eth0')).toBe('link-local');
    expect(classifyAddress('::ffff:10.0.0.1')).toBe('private');
    expect(classifyAddress('fd00:ec2::254')).toBe('metadata');
    expect(classifyAddress('login.example.com')).toBeNull();
  });
});

describe('saving an app registration', () => {
  it('refuses the cloud metadata issuer https://169.254.169.254/latest, naming the field', async () => {
    const { apps } = services(false);
    await expect(apps.create(genericApp('https://169.254.169.254/latest'), null)).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      details: { fields: ['issuerUrl'] },
      message: expect.stringContaining('cloud metadata service'),
    });
  });

  it.each(HOSTS.filter(([, kind]) => !['public', 'loopback'].includes(kind)))(
    'refuses an issuer and every endpoint on %s (%s) unless it is private and allowPrivateNetworks is set',
    async (host, kind) => {
      for (const allowPrivateNetworks of [false, true]) {
        const { apps } = services(allowPrivateNetworks);
        const accepted = kind === 'private' && allowPrivateNetworks;
        for (const field of ['issuerUrl', 'authorizeUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl']) {
          const input = { ...genericApp('https://login.example.com'), [field]: `https://${host}/x` };
          const saved = apps.create(input, null);
          if (accepted) await expect(saved).resolves.toMatchObject({ name: 'IdP' });
          else await expect(saved).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID', details: { fields: [field] } });
        }
      }
    },
  );

  it('keeps accepting public and loopback https hosts', async () => {
    const { apps } = services(false);
    for (const host of ['login.example.com', '8.8.8.8', '127.0.0.1', '[::1]'])
      await expect(apps.create(genericApp(`https://${host}/realm`), null)).resolves.toMatchObject({ name: 'IdP' });
  });
});

describe('saving a mail account', () => {
  it.each(HOSTS.filter(([host, kind]) => !['public', 'loopback'].includes(kind) && !host.startsWith('[')))(
    'refuses the mail host %s (%s) unless it is private and allowPrivateNetworks is set',
    async (host, kind) => {
      for (const allowPrivateNetworks of [false, true]) {
        const { apps, accounts } = services(allowPrivateNetworks);
        const app = await apps.create(genericApp('https://login.example.com'), null);
        const saved = accounts.create({ appId: app.id, mailbox: 'help@example.com', host }, null);
        if (kind === 'private' && allowPrivateNetworks) await expect(saved).resolves.toMatchObject({ host });
        else await expect(saved).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID', details: { fields: ['host'] } });
      }
    },
  );
});

describe('discovery', () => {
  it('refuses a discovered endpoint on a metadata or link-local address', async () => {
    const oauth = new ScriptedOAuthClient();
    oauth.discovery = {
      issuer: 'https://login.example.com',
      authorizationEndpoint: 'https://login.example.com/auth',
      tokenEndpoint: 'https://169.254.169.254/latest/meta-data/',
      revocationEndpoint: null,
      userinfoEndpoint: 'https://[fe80::1]/userinfo',
      jwksUri: null,
      tokenEndpointAuthMethods: [],
    };
    const resolver = new EndpointResolver({
      oauthClient: oauth,
      clock: new ManualClock(),
      allowInsecureLoopback: false,
    });
    const { apps } = services(false);
    const app = await apps.create(genericApp('https://login.example.com'), null);
    await expect(resolver.resolve(app)).rejects.toMatchObject({
      code: 'ERR_PROVIDER_CONFIG',
      message: expect.stringContaining('cloud metadata service'),
    });
  });
});
