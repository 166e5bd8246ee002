/**
 * Credential expiry warnings from what the credential itself says (the client secret's entered expiry, the
 * certificate's notAfter): one notification per app at 30 days, again at 7 days and once expired, each exactly once
 * across many cycles and two processes, naming the mailboxes that stop; resolved once a later credential is saved.
 */
import { credentialExpiryKey } from '../../../plugin/oauth/secret-expiry';
import { createClientCertificate, tempDir } from '../../helpers/test-env';
import { createWorld, type World } from './world';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function warningsOf(world: World, appId: string) {
  return world.notify.sent.filter((n) => n.key.startsWith(`oauth2-mail:app:${appId}:credential-expiry:`));
}

describe('credential expiry warnings', () => {
  it('a client secret: 30 days, 7 days, expired — each once over 45 days of cycles in two processes; a new secret resolves it', async () => {
    const one = createWorld();
    const two = createWorld({ share: one });
    const app = await one.services.apps.create(
      {
        name: 'Contoso',
        provider: 'microsoft',
        clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        clientSecret: 's',
        secretExpiresAt: String(one.clock.now() + 40 * DAY),
      },
      'a',
    );
    await one.services.accounts.create({ appId: app.id, mailbox: 'support@contoso.com' }, 'a');
    // A warning left open by the version before thresholds is taken over by the first new one.
    await one.notify.notify({
      key: `oauth2-mail:app:${app.id}:secret-expiry`,
      severity: 'warning',
      title: 'old',
      message: 'old',
    });
    const sentAt: Array<[string, number]> = [];
    const start = one.clock.now();
    for (let hour = 0; hour < 45 * 24; hour += 1) {
      for (const world of [one, two]) {
        const before = warningsOf(one, app.id).length;
        await world.services.keepAlive.run();
        for (const sent of warningsOf(one, app.id).slice(before))
          sentAt.push([sent.key.split(':').pop()!, Math.floor((one.clock.now() - start) / DAY)]);
      }
      one.clock.advance(HOUR);
    }
    expect(sentAt).toEqual([
      ['30', 10],
      ['7', 33],
      ['expired', 40],
    ]);
    const [thirty, seven, expired] = warningsOf(one, app.id);
    expect(thirty).toMatchObject({
      severity: 'warning',
      title: 'The client secret of app "Contoso" expires in 30 day(s)',
      message: expect.stringContaining('Every mail account of this app (support@contoso.com) stops'),
    });
    expect(seven).toMatchObject({ severity: 'warning', title: expect.stringContaining('expires in 7 day(s)') });
    expect(expired).toMatchObject({ severity: 'error', title: 'The client secret of app "Contoso" has expired' });
    // One open notification per app: each threshold resolves the one before.
    expect([...one.notify.open.keys()]).toEqual([credentialExpiryKey(app.id, 'expired')]);

    await one.services.apps.update(
      app.id,
      {
        name: 'Contoso',
        provider: 'microsoft',
        clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        clientSecret: 's2',
        secretExpiresAt: String(one.clock.now() + 365 * DAY),
      },
      'a',
    );
    one.clock.advance(11 * 60_000);
    expect((await one.services.keepAlive.run()).secretsExpiring).toEqual([]);
    expect(one.notify.open.size).toBe(0);
  });

  it("a certificate: its own notAfter decides (20 days left: the 30-day warning at once, the banner's number)", async () => {
    const world = createWorld();
    const certificate = createClientCertificate(tempDir('o2m-expiry'), { days: 20 });
    // openssl dated the certificate by the real clock.
    world.clock.advance(Date.now() - world.clock.now());
    const app = await world.services.apps.create(
      {
        name: 'Cert app',
        provider: 'microsoft',
        clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
        clientCertificate: certificate.certificatePem,
        clientKey: certificate.privateKeyPem,
      },
      'a',
    );
    expect((await world.services.keepAlive.run()).secretsExpiring).toEqual([app.id]);
    expect(warningsOf(world, app.id)).toEqual([
      expect.objectContaining({
        key: credentialExpiryKey(app.id, '30'),
        title: expect.stringMatching(/^The certificate of app "Cert app" expires in (19|20) day\(s\)$/),
        message: expect.stringContaining('upload its public part'),
      }),
    ]);
    world.clock.advance(11 * 60_000);
    await world.services.keepAlive.run();
    expect(warningsOf(world, app.id)).toHaveLength(1);
  });
});
