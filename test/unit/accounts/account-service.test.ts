import { parseConfig } from '../../../plugin/config';
import { createOAuthServices } from '../../../plugin/oauth/oauth-services';
import { requestedScopes } from '../../../plugin/oauth/scopes';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeMailServer } from '../../helpers/fakes/fake-mail-server';
import { ScriptedOAuthClient } from '../../helpers/fakes/scripted-oauth-client';
import { ManualClock } from '../../helpers/manual-clock';
import { createMemoryRepositories } from '../../helpers/memory';
import { MemoryNotify } from '../../helpers/memory-notify';
import { createWorld, WORLD_START } from '../oauth/world';

function fieldsOf(error: unknown): string[] {
  return ((error as { details?: { fields?: string[] } }).details?.fields ?? []).slice().sort();
}

describe('AppService validation', () => {
  it('names every invalid field in one error', async () => {
    const world = createWorld();
    const error = await world.services.apps
      .create(
        {
          provider: 'microsoft',
          tenant: 'not a tenant',
          clientId: '',
          issuerUrl: 'http://idp.example.com',
          scopes: 'openid "mail"',
        },
        'a',
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    // Every field at once: the missing name and client id do not hide the secret, the URL, the scopes or the tenant.
    expect(fieldsOf(error)).toEqual(['clientId', 'clientSecret', 'issuerUrl', 'name', 'scopes', 'tenant']);
    const second = await world.services.apps
      .create(
        {
          name: 'n',
          provider: 'microsoft',
          tenant: 'not a tenant',
          clientId: 'c',
          issuerUrl: 'http://idp.example.com',
          scopes: 'openid "mail"',
        },
        'a',
      )
      .catch((e: unknown) => e);
    expect(fieldsOf(second)).toEqual(['clientSecret', 'issuerUrl', 'scopes', 'tenant']);
    expect((second as Error).message).toMatch(/tenant: must be a tenant GUID/);
    expect((second as Error).message).toMatch(/issuerUrl: must be an https:\/\/ URL/);
  });

  it('Google and generic refuse Microsoft-only fields; generic needs an issuer or both endpoints', async () => {
    const world = createWorld();
    await expect(
      world.services.apps.create(
        { name: 'g', provider: 'google', tenant: 'common', clientId: 'c', clientSecret: 's' },
        'a',
      ),
    ).rejects.toMatchObject({ details: { fields: ['tenant'] } });
    await expect(
      world.services.apps.create({ name: 'x', provider: 'generic', clientId: 'c', clientSecret: 's' }, 'a'),
    ).rejects.toMatchObject({ details: { fields: ['issuerUrl'] } });
    await expect(
      world.services.apps.create(
        { name: 'x', provider: 'generic', authorizeUrl: 'https://x.test/a', clientId: 'c', clientSecret: 's' },
        'a',
      ),
    ).rejects.toMatchObject({ details: { fields: ['tokenUrl'] } });
    const app = await world.services.apps.create(
      {
        name: 'x',
        provider: 'generic',
        authorizeUrl: 'https://x.test/a',
        tokenUrl: 'https://x.test/t',
        clientId: 'c',
        clientSecret: 's',
        scopes: ' openid  email offline_access mail ',
      },
      'a',
    );
    expect(app).toMatchObject({
      provider: 'generic',
      cloud: null,
      tenant: null,
      scopes: 'openid email offline_access mail',
    });
  });

  it('Microsoft defaults: global cloud, organizations tenant; the secret is write-only and kept on update', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      {
        name: 'M',
        provider: 'microsoft',
        clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        clientSecret: 'first-secret',
        secretExpiresAt: '2027-06-30',
      },
      'a',
    );
    expect(app).toMatchObject({ cloud: 'global', tenant: 'organizations', secretExpiresAt: Date.parse('2027-06-30') });
    expect(JSON.stringify(app)).not.toContain('first-secret');
    await world.services.apps.update(
      app.id,
      { name: 'M2', provider: 'microsoft', clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c' },
      'a',
    );
    expect(await world.apps.clientSecret(app.id)).toBe('first-secret');
    expect(world.events.events.map((e) => e.type)).toEqual(['app_created', 'app_updated']);
    expect(JSON.stringify(world.events.events)).not.toContain('first-secret');
  });

  it('an app still used by accounts cannot be removed', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const account = await world.services.accounts.create({ appId: app.id, mailbox: 'x@gmail.com' }, 'a');
    await expect(world.services.apps.remove(app.id, 'a')).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
      message: expect.stringContaining('x@gmail.com'),
    });
    await world.services.accounts.remove(account.id, 'a');
    await world.services.apps.remove(app.id, 'a');
    expect(await world.apps.find(app.id)).toBeNull();
  });
});

describe('AccountService validation', () => {
  it('a mailbox is configured once: a second account for it is refused naming the first', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'X', provider: 'generic', issuerUrl: 'https://idp.example.test', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const fields = { appId: app.id, host: 'imap.example.test' };
    const first = await world.services.accounts.create({ ...fields, mailbox: 'help@example.test' }, 'a');
    const again = world.services.accounts.create({ ...fields, mailbox: 'Help@Example.test', folder: 'inbox' }, 'a');
    await expect(again).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID', details: { fields: ['mailbox'] } });
    await expect(again).rejects.toThrow(`is already configured as mail account ${first.id}`);
    // Another folder of the same mailbox is another account; an account keeps its own mailbox on update.
    const archive = await world.services.accounts.create(
      { ...fields, mailbox: 'help@example.test', folder: 'Archive' },
      'a',
    );
    await expect(
      world.services.accounts.update(archive.id, { ...fields, mailbox: 'help@example.test' }, 'a'),
    ).rejects.toMatchObject({ details: { fields: ['mailbox'] } });
    await world.services.accounts.update(first.id, { ...fields, mailbox: 'help@example.test', folder: 'INBOX' }, 'a');
    expect(await world.services.accounts.list()).toHaveLength(2);
  });

  it("fills the provider's default server and the documented defaults", async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      {
        name: 'M',
        provider: 'microsoft',
        cloud: 'usgov',
        clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        clientSecret: 's',
      },
      'a',
    );
    const account = await world.services.accounts.create({ appId: app.id, mailbox: 'support@agency.gov' }, 'a');
    expect(account).toMatchObject({
      host: 'outlook.office365.us',
      port: 993,
      tls: 'implicit',
      folder: 'INBOX',
      initialSync: 'unseen',
      postFetch: 'mark_seen',
      pollIntervalSeconds: 60,
      sharedViaDelegate: false,
    });
  });

  it('POP3: provider servers (995), keep by default, the POP scope; IMAP-only settings refused', async () => {
    const world = createWorld();
    const microsoft = await world.services.apps.create(
      { name: 'M', provider: 'microsoft', clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c', clientSecret: 's' },
      'a',
    );
    const google = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const pop3 = { protocol: 'pop3', mailbox: 'help@example.com' };
    const outlook = await world.services.accounts.create({ ...pop3, appId: microsoft.id }, 'a');
    expect(requestedScopes(microsoft, outlook)).toContain('https://outlook.office.com/POP.AccessAsUser.All');
    expect(requestedScopes(microsoft, outlook).join(' ')).not.toMatch(/IMAP/);
    expect(outlook).toMatchObject({
      protocol: 'pop3',
      host: 'outlook.office365.com',
      port: 995,
      tls: 'implicit',
      folder: 'INBOX',
      initialSync: 'all',
      postFetch: 'keep',
    });
    expect(await world.services.accounts.create({ ...pop3, appId: google.id, postFetch: 'delete' }, 'a')).toMatchObject(
      {
        host: 'pop.gmail.com',
        port: 995,
        postFetch: 'delete',
      },
    );
    const custom = await world.services.accounts.create(
      { ...pop3, appId: microsoft.id, host: 'pop.example.com', tls: 'starttls', mailbox: 'b@example.com' },
      'a',
    );
    expect(custom).toMatchObject({ host: 'pop.example.com', port: 110, tls: 'starttls' });
    const refused = await world.services.accounts
      .create({ ...pop3, appId: microsoft.id, folder: 'Archive', initialSync: 'new_only', postFetch: 'move:Done' }, 'a')
      .catch((e: unknown) => e);
    expect(fieldsOf(refused)).toEqual(['folder', 'initialSync', 'postFetch']);
    expect((refused as Error).message).toMatch(/folder: does not apply to POP3/);
    await expect(
      world.services.accounts.create({ ...pop3, appId: microsoft.id, protocol: 'smtp' }, 'a'),
    ).rejects.toMatchObject({ details: { fields: ['protocol'] } });
  });

  it('names every invalid field', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'X', provider: 'generic', issuerUrl: 'https://idp.example.test', clientId: 'c', clientSecret: 's' },
      'a',
    );
    const error = await world.services.accounts
      .create(
        {
          appId: app.id,
          mailbox: 'not-an-address',
          port: '99999',
          tls: 'ssl',
          initialSync: 'some',
          postFetch: 'archive',
          pollIntervalSeconds: '1',
        },
        'a',
      )
      .catch((e: unknown) => e);
    // The generic app has no default server: the missing host is named with the rest, not on the next submit.
    expect(fieldsOf(error)).toEqual([
      'host',
      'initialSync',
      'mailbox',
      'pollIntervalSeconds',
      'port',
      'postFetch',
      'tls',
    ]);
    await expect(world.services.accounts.create({ appId: app.id, mailbox: 'a@b.test' }, 'a')).rejects.toMatchObject({
      details: { fields: ['host'] },
    });
    await expect(
      world.services.accounts.create({ appId: '999', mailbox: 'a@b.test', host: 'imap.b.test' }, 'a'),
    ).rejects.toMatchObject({ details: { fields: ['appId'] } });
  });

  it('cleartext IMAP only to loopback and only when allowed', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'X', provider: 'generic', issuerUrl: 'https://idp.example.test', clientId: 'c', clientSecret: 's' },
      'a',
    );
    await expect(
      world.services.accounts.create(
        { appId: app.id, mailbox: 'a@b.test', host: '127.0.0.1', port: '1143', tls: 'none' },
        'a',
      ),
    ).rejects.toMatchObject({ details: { fields: ['tls'] } });

    const clock = new ManualClock(WORLD_START);
    const loose = createOAuthServices({
      repositories: createMemoryRepositories(clock),
      notify: new MemoryNotify(),
      logger: new CapturingLogger(),
      clock,
      oauthClient: new ScriptedOAuthClient(),
      mailFetcher: new FakeMailServer(),
      redirectUri: 'http://127.0.0.1/callback',
      config: parseConfig({ allowInsecureLoopback: true }),
    });
    const looseApp = await loose.apps.create(
      { name: 'X', provider: 'generic', issuerUrl: 'http://127.0.0.1:9000', clientId: 'c', clientSecret: 's' },
      'a',
    );
    await expect(
      loose.accounts.create(
        { appId: looseApp.id, mailbox: 'a@b.test', host: '127.0.0.1', port: '1143', tls: 'none' },
        'a',
      ),
    ).resolves.toMatchObject({ tls: 'none', port: 1143 });
    await expect(
      loose.accounts.create({ appId: looseApp.id, mailbox: 'a@b.test', host: 'imap.b.test', tls: 'none' }, 'a'),
    ).rejects.toMatchObject({ details: { fields: ['tls'] } });
  });

  it('post-fetch move:FOLDER, shared via delegate from a checkbox value', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'G', provider: 'google', clientId: 'c', clientSecret: 's' },
      'a',
    );
    await expect(
      world.services.accounts.create(
        { appId: app.id, mailbox: 'team@example.com', postFetch: 'move:Archive/Tickets', sharedViaDelegate: 'on' },
        'a',
      ),
    ).resolves.toMatchObject({ postFetch: 'move:Archive/Tickets', sharedViaDelegate: true });
  });
});
