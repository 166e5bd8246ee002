import { CLIENT_SECRET_CREDENTIAL } from '../../plugin/ports/app-repository';
import { ManualClock } from '../helpers/manual-clock';
import {
  accountInput,
  appInput,
  UNKNOWN_IDS,
  type Repositories,
  type RepositoryContractTarget,
} from './repository-contract-target';

/** The AppRepository contract: every implementation must pass it. */
export function appRepositoryContract(target: RepositoryContractTarget): void {
  describe('AppRepository contract', () => {
    let clock: ManualClock;
    let repos: Repositories;
    beforeEach(async () => {
      clock = new ManualClock();
      repos = await target.fresh(clock);
    });

    it('creates an app with string id, defaults to null, timestamps from the clock, and never returns the secret', async () => {
      const app = await repos.apps.create({
        name: 'Google',
        provider: 'google',
        clientId: 'g-client',
        clientSecret: 'g-secret-PLAIN',
      });
      expect(app).toEqual({
        id: expect.stringMatching(/^\d+$/),
        name: 'Google',
        provider: 'google',
        cloud: null,
        tenant: null,
        issuerUrl: null,
        authorizeUrl: null,
        tokenUrl: null,
        revocationUrl: null,
        userinfoUrl: null,
        clientId: 'g-client',
        scopes: null,
        secretExpiresAt: null,
        incident: null,
        ...CLIENT_SECRET_CREDENTIAL,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      expect(JSON.stringify(app)).not.toContain('g-secret-PLAIN');
      expect(await repos.apps.find(app.id)).toEqual(app);
      expect(await repos.apps.clientSecret(app.id)).toBe('g-secret-PLAIN');
    });

    it('keeps every field, including far-future epoch-ms expiry and long URLs', async () => {
      const long = `https://idp.example/${'p'.repeat(1500)}`;
      const app = await repos.apps.create(
        appInput({
          provider: 'generic',
          cloud: null,
          tenant: null,
          issuerUrl: 'https://idp.example',
          authorizeUrl: long,
          tokenUrl: 'https://idp.example/token',
          revocationUrl: 'https://idp.example/revoke',
          userinfoUrl: 'https://idp.example/userinfo',
          scopes: 'openid email offline_access',
          secretExpiresAt: 4_102_444_800_000,
        }),
      );
      const found = await repos.apps.find(app.id);
      expect(found).toMatchObject({
        provider: 'generic',
        issuerUrl: 'https://idp.example',
        authorizeUrl: long,
        scopes: 'openid email offline_access',
        secretExpiresAt: 4_102_444_800_000,
      });
    });

    it('updates: omitted optional fields and the omitted secret are kept, null clears, a new secret replaces', async () => {
      const app = await repos.apps.create(appInput({ scopes: 'a b', secretExpiresAt: 5 }));
      clock.advance(1000);
      const updated = await repos.apps.update(app.id, {
        name: 'Renamed',
        provider: 'microsoft',
        clientId: 'client-2',
        scopes: null,
      });
      expect(updated).toEqual({
        ...app,
        name: 'Renamed',
        clientId: 'client-2',
        scopes: null,
        updatedAt: app.createdAt + 1000,
      });
      expect(await repos.apps.find(app.id)).toEqual(updated);
      expect(await repos.apps.clientSecret(app.id)).toBe('client-secret-PLAIN-1');
      await repos.apps.update(app.id, {
        name: 'Renamed',
        provider: 'microsoft',
        clientId: 'client-2',
        clientSecret: 'rotated-PLAIN',
      });
      expect(await repos.apps.clientSecret(app.id)).toBe('rotated-PLAIN');
    });

    it('keeps a certificate credential: the certificate and its fields returned, the private key only by privateKey(); an omitted key is kept on update', async () => {
      const app = await repos.apps.create(
        appInput({
          provider: 'generic',
          cloud: null,
          tenant: null,
          tokenUrl: 'https://idp.example/token',
          clientSecret: '',
          credentialType: 'certificate',
          certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          certificateExpiresAt: 4_102_444_800_000,
          assertionAlgorithm: 'PS256',
          privateKey: 'KEY-PLAIN-9a8b',
          appTokenScope: 'api://mail/.default',
          deviceAuthorizationUrl: 'https://idp.example/device',
        }),
      );
      expect(app).toMatchObject({
        credentialType: 'certificate',
        certificatePem: expect.stringContaining('BEGIN CERTIFICATE'),
        certificateExpiresAt: 4_102_444_800_000,
        assertionAlgorithm: 'PS256',
        appTokenScope: 'api://mail/.default',
        deviceAuthorizationUrl: 'https://idp.example/device',
      });
      expect(JSON.stringify(app)).not.toContain('KEY-PLAIN');
      expect(await repos.apps.privateKey(app.id)).toBe('KEY-PLAIN-9a8b');
      expect(await repos.apps.clientSecret(app.id)).toBe('');
      await repos.apps.update(app.id, { name: 'Renamed', provider: 'generic', clientId: 'client-1' });
      expect(await repos.apps.privateKey(app.id)).toBe('KEY-PLAIN-9a8b');
      await repos.apps.update(app.id, {
        name: 'Renamed',
        provider: 'generic',
        clientId: 'client-1',
        privateKey: 'KEY-PLAIN-rotated',
      });
      expect(await repos.apps.privateKey(app.id)).toBe('KEY-PLAIN-rotated');
    });

    it('keeps a service-account credential; privateKey() of an app without a key is ERR_PROVIDER_CONFIG', async () => {
      const app = await repos.apps.create(
        appInput({
          provider: 'google',
          cloud: null,
          tenant: null,
          clientSecret: '',
          credentialType: 'service_account',
          serviceAccountEmail: 'mail@project.iam.gserviceaccount.com',
          serviceAccountKeyId: 'f'.repeat(40),
          serviceAccountTokenUrl: 'https://oauth2.googleapis.com/token',
          privateKey: 'SA-KEY-PLAIN',
        }),
      );
      expect(await repos.apps.find(app.id)).toMatchObject({
        credentialType: 'service_account',
        serviceAccountEmail: 'mail@project.iam.gserviceaccount.com',
        serviceAccountKeyId: 'f'.repeat(40),
        serviceAccountTokenUrl: 'https://oauth2.googleapis.com/token',
      });
      expect(await repos.apps.privateKey(app.id)).toBe('SA-KEY-PLAIN');
      const plain = await repos.apps.create(appInput());
      await expect(repos.apps.privateKey(plain.id)).rejects.toMatchObject({ code: 'ERR_PROVIDER_CONFIG' });
    });

    it('records a credential expiry warning once per value (true only for the call that changed it), null clears', async () => {
      const app = await repos.apps.create(appInput());
      expect(await repos.apps.recordCredentialWarning(app.id, '100:30')).toBe(true);
      expect(await repos.apps.recordCredentialWarning(app.id, '100:30')).toBe(false);
      expect(await repos.apps.recordCredentialWarning(app.id, '100:7')).toBe(true);
      expect(await repos.apps.recordCredentialWarning(app.id, null)).toBe(true);
      expect(await repos.apps.recordCredentialWarning(app.id, null)).toBe(false);
      expect(await repos.apps.recordCredentialWarning('999999', '1:30')).toBe(false);
    });

    it('opens an app incident once per code, replaces it with another code, closes it; an edit keeps it', async () => {
      const app = await repos.apps.create(appInput());
      clock.advance(1000);
      const incident = {
        code: 'ERR_CLIENT_INVALID',
        detail: `AADSTS7000215: ${'x'.repeat(3000)}`,
        since: 4_102_444_800_000,
      };
      expect(await repos.apps.openIncident(app.id, incident)).toBe(true);
      expect(await repos.apps.find(app.id)).toEqual({ ...app, incident });
      expect(await repos.apps.openIncident(app.id, { ...incident, detail: 'again', since: 1 })).toBe(false);
      expect((await repos.apps.find(app.id))?.incident).toEqual(incident);
      await repos.apps.update(app.id, { ...appInput(), name: 'Renamed' });
      expect((await repos.apps.find(app.id))?.incident).toEqual(incident);
      const expired = { code: 'ERR_CLIENT_SECRET_EXPIRED', detail: 'AADSTS7000222', since: 5 };
      expect(await repos.apps.openIncident(app.id, expired)).toBe(true);
      expect((await repos.apps.list())[0]?.incident).toEqual(expired);
      await repos.apps.closeIncident(app.id);
      await repos.apps.closeIncident(app.id);
      expect((await repos.apps.find(app.id))?.incident).toBeNull();
      for (const id of UNKNOWN_IDS) {
        expect(await repos.apps.openIncident(id, incident)).toBe(false);
        await repos.apps.closeIncident(id);
      }
    });

    it('opens an incident for exactly one of several connections opening it at the same moment', async () => {
      const app = await repos.apps.create(appInput());
      const peers = await target.peers(4, clock);
      const incident = { code: 'ERR_CLIENT_INVALID', detail: 'AADSTS7000215', since: 1 };
      const results = await Promise.all(peers.map((peer) => peer.apps.openIncident(app.id, incident)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('answers ERR_NOT_FOUND / null for unknown ids', async () => {
      for (const id of UNKNOWN_IDS) {
        expect(await repos.apps.find(id)).toBeNull();
        await expect(repos.apps.update(id, appInput())).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        await expect(repos.apps.clientSecret(id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        await expect(repos.apps.privateKey(id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
        await expect(repos.apps.remove(id)).resolves.toBeUndefined();
      }
    });

    it('lists apps oldest first', async () => {
      const a = await repos.apps.create(appInput({ name: 'A' }));
      const b = await repos.apps.create(appInput({ name: 'B' }));
      expect((await repos.apps.list()).map((x) => x.id)).toEqual([a.id, b.id]);
    });

    it('refuses to remove an app still used by accounts (ERR_CONFLICT, nothing lost), removes it once unused', async () => {
      const app = await repos.apps.create(appInput());
      const account = await repos.accounts.create(accountInput(app.id));
      await expect(repos.apps.remove(app.id)).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      expect(await repos.apps.find(app.id)).not.toBeNull();
      expect(await repos.accounts.find(account.id)).not.toBeNull();
      await repos.accounts.remove(account.id);
      await repos.apps.remove(app.id);
      expect(await repos.apps.find(app.id)).toBeNull();
      expect(await repos.apps.list()).toEqual([]);
    });
  });
}
