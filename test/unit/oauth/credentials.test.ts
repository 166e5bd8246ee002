/**
 * Certificate and service-account credentials without a provider: what an app registration accepts (the key must
 * belong to the certificate, the expiry comes from the certificate, a key file is read once), and the assertions
 * made with jose (header and claims as Entra and Google document them, verifiable with the public key).
 */
import * as crypto from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { createClientAssertion } from '../../../plugin/oauth/client-assertion';
import { readClientCertificate } from '../../../plugin/oauth/client-certificate';
import { parseServiceAccountKey } from '../../../plugin/oauth/service-account-key';
import { createServiceAccountAssertion } from '../../../plugin/oauth/service-account-assertion';
import { createClientCertificate, tempDir, type ClientCertificate } from '../../helpers/test-env';
import { createWorld } from './world';

let certificate: ClientCertificate;
let other: ClientCertificate;
let keyFile: Record<string, string>;

beforeAll(() => {
  const dir = tempDir('o2m-credentials');
  certificate = createClientCertificate(dir, { name: 'app', days: 20 });
  other = createClientCertificate(dir, { name: 'other' });
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyFile = {
    type: 'service_account',
    project_id: 'p',
    private_key_id: 'a'.repeat(40),
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    client_email: 'mail@p.iam.gserviceaccount.com',
    client_id: '112233445566778899001',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
});

/** A line of a PEM key's base64 body: what must never show up outside the sealed column. */
function keyBody(pem: string): string {
  return pem.split('\n')[3] ?? pem;
}

function fieldsOf(error: unknown): string[] {
  return ((error as { details?: { fields?: string[] } }).details?.fields ?? []).slice().sort();
}

describe('client certificate and assertion', () => {
  it('reads the expiry and both thumbprints from the certificate itself', () => {
    const facts = readClientCertificate(certificate.certificatePem);
    const x509 = new crypto.X509Certificate(certificate.certificatePem);
    expect(facts.notAfter).toBe(Date.parse(x509.validTo));
    expect(facts.notAfter - Date.now()).toBeLessThan(21 * 86_400_000);
    expect(facts.sha256Thumbprint).toBe(crypto.createHash('sha256').update(x509.raw).digest('base64url'));
    expect(facts.sha1Thumbprint).toBe(crypto.createHash('sha1').update(x509.raw).digest('base64url'));
  });

  it.each([['PS256' as const], ['RS256' as const]])(
    'makes a %s assertion: x5t#S256 (and x5t for Entra), aud the token endpoint, iss = sub = client id, jti, nbf, exp 10 minutes on',
    async (algorithm) => {
      const now = Date.now();
      const assertion = await createClientAssertion({
        clientId: 'client-1',
        audience: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        certificatePem: certificate.certificatePem,
        privateKeyPem: certificate.privateKeyPem,
        algorithm,
        sha1Thumbprint: true,
        now,
      });
      const facts = readClientCertificate(certificate.certificatePem);
      expect(decodeProtectedHeader(assertion)).toEqual({
        alg: algorithm,
        typ: 'JWT',
        'x5t#S256': facts.sha256Thumbprint,
        x5t: facts.sha1Thumbprint,
      });
      const { payload } = await jwtVerify(assertion, new crypto.X509Certificate(certificate.certificatePem).publicKey, {
        audience: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        issuer: 'client-1',
        subject: 'client-1',
      });
      expect(payload.exp! - payload.nbf!).toBe(600);
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
      const second = await createClientAssertion({
        clientId: 'client-1',
        audience: 'x',
        certificatePem: certificate.certificatePem,
        privateKeyPem: certificate.privateKeyPem,
        algorithm,
        sha1Thumbprint: false,
        now,
      });
      expect(decodeProtectedHeader(second).x5t).toBeUndefined();
    },
  );
});

describe('service account key and assertion', () => {
  it('keeps the fields of the key file the grant needs', () => {
    expect(parseServiceAccountKey(JSON.stringify(keyFile))).toEqual({
      email: keyFile.client_email,
      keyId: keyFile.private_key_id,
      privateKeyPem: keyFile.private_key,
      tokenUrl: keyFile.token_uri,
      clientId: keyFile.client_id,
    });
  });

  it('refuses what is not a key file, never echoing it', () => {
    for (const bad of [
      'not json',
      JSON.stringify({ ...keyFile, client_email: undefined }),
      JSON.stringify({ ...keyFile, private_key: 'x' }),
    ]) {
      let error: unknown;
      try {
        parseServiceAccountKey(bad);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toMatchObject({ code: 'ERR_INPUT_INVALID', details: { fields: ['serviceAccountKey'] } });
      expect(JSON.stringify(error) + String((error as Error).message)).not.toContain(keyBody(keyFile.private_key!));
    }
  });

  it('signs the JWT bearer assertion: RS256 with kid, iss = client_email, sub = the mailbox, scope, aud = token_uri, an hour', async () => {
    const now = Date.now();
    const assertion = await createServiceAccountAssertion({
      email: keyFile.client_email!,
      keyId: keyFile.private_key_id!,
      privateKeyPem: keyFile.private_key!,
      subject: 'support@example.com',
      scope: 'https://mail.google.com/',
      audience: keyFile.token_uri!,
      now,
    });
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256', typ: 'JWT', kid: keyFile.private_key_id });
    const { payload } = await jwtVerify(assertion, crypto.createPublicKey(keyFile.private_key!), {
      issuer: keyFile.client_email,
      subject: 'support@example.com',
      audience: keyFile.token_uri,
    });
    expect(payload).toMatchObject({ scope: 'https://mail.google.com/' });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });
});

describe('AppService with certificate and service-account credentials', () => {
  const base = {
    name: 'Contoso',
    provider: 'microsoft',
    tenant: 'contoso.com',
    clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
  };

  it('stores a certificate app: no secret, the expiry from the certificate, the key sealed and never returned', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { ...base, clientCertificate: certificate.certificatePem, clientKey: certificate.privateKeyPem },
      'admin-1',
    );
    expect(app).toMatchObject({
      credentialType: 'certificate',
      assertionAlgorithm: 'PS256',
      certificateExpiresAt: readClientCertificate(certificate.certificatePem).notAfter,
      secretExpiresAt: null,
    });
    expect(JSON.stringify(app)).not.toContain(keyBody(certificate.privateKeyPem));
    expect(await world.apps.clientSecret(app.id)).toBe('');
    expect(await world.apps.privateKey(app.id)).toBe(certificate.privateKeyPem);
    // An edit without new material keeps the certificate and its key.
    const edited = await world.services.apps.update(app.id, { ...base, name: 'Renamed' }, 'admin-1');
    expect(edited).toMatchObject({ credentialType: 'certificate', certificatePem: app.certificatePem });
    expect(await world.apps.privateKey(app.id)).toBe(certificate.privateKeyPem);
  });

  it('refuses a key that does not belong to the certificate, a certificate for Google, and names each field', async () => {
    const world = createWorld();
    const mismatch = await world.services.apps
      .create({ ...base, clientCertificate: certificate.certificatePem, clientKey: other.privateKeyPem }, 'admin-1')
      .catch((e: unknown) => e);
    expect(fieldsOf(mismatch)).toEqual(['clientKey']);
    expect(String((mismatch as Error).message)).toContain('does not belong to the certificate');
    const google = await world.services.apps
      .create(
        {
          name: 'G',
          provider: 'google',
          clientId: 'g',
          clientCertificate: certificate.certificatePem,
          clientKey: certificate.privateKeyPem,
        },
        'admin-1',
      )
      .catch((e: unknown) => e);
    expect(fieldsOf(google)).toEqual(['credentialType']);
    const notPem = await world.services.apps
      .create({ ...base, clientCertificate: 'hello', clientKey: certificate.privateKeyPem }, 'admin-1')
      .catch((e: unknown) => e);
    expect(fieldsOf(notPem)).toEqual(['clientCertificate']);
    expect(JSON.stringify(mismatch) + String((mismatch as Error).message)).not.toContain(keyBody(other.privateKeyPem));
  });

  it('imports a service account key file once: client id from the file, the key sealed, the file never kept', async () => {
    const world = createWorld();
    const app = await world.services.apps.create(
      { name: 'Workspace', provider: 'google', serviceAccountKey: JSON.stringify(keyFile) },
      'admin-1',
    );
    expect(app).toMatchObject({
      credentialType: 'service_account',
      clientId: keyFile.client_id,
      serviceAccountEmail: keyFile.client_email,
      serviceAccountKeyId: keyFile.private_key_id,
      serviceAccountTokenUrl: keyFile.token_uri,
    });
    expect(JSON.stringify(app)).not.toContain(keyBody(keyFile.private_key!));
    expect(await world.apps.privateKey(app.id)).toBe(keyFile.private_key);
    const microsoft = await world.services.apps
      .create({ ...base, serviceAccountKey: JSON.stringify(keyFile) }, 'admin-1')
      .catch((e: unknown) => e);
    expect(fieldsOf(microsoft)).toEqual(['credentialType']);
  });

  it('an account takes only the auth modes its app can serve', async () => {
    const world = createWorld();
    const secretApp = await world.services.apps.create({ ...base, clientSecret: 's' }, 'admin-1');
    const saApp = await world.services.apps.create(
      { name: 'Workspace', provider: 'google', serviceAccountKey: JSON.stringify(keyFile) },
      'admin-1',
    );
    const appOnly = await world.services.accounts.create(
      { appId: secretApp.id, mailbox: 'support@contoso.com', authMode: 'app-only' },
      'admin-1',
    );
    expect(appOnly.authMode).toBe('app_only');
    const refused = [
      { appId: secretApp.id, mailbox: 'a@contoso.com', authMode: 'service-account' },
      { appId: saApp.id, mailbox: 'a@example.com', authMode: 'delegated' },
      { appId: secretApp.id, mailbox: 'a@contoso.com', authMode: 'app_only', sharedViaDelegate: 'true' },
    ];
    const fields = [];
    for (const input of refused)
      fields.push(fieldsOf(await world.services.accounts.create(input, 'admin-1').catch((e: unknown) => e)));
    expect(fields).toEqual([['authMode'], ['authMode'], ['sharedViaDelegate']]);
  });
});
