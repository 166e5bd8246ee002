/** The host's AES-256-GCM SecretsPort: round trip, tamper detection, key ids and rotation, key sources. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSecrets, keyId, loadSecretKeys } from '../../../host/secrets';
import { isPluginError } from '../../../plugin/errors';

async function openError(secrets: AesGcmSecrets, sealed: string): Promise<string> {
  try {
    await secrets.open(sealed);
  } catch (error) {
    return isPluginError(error) ? `${error.code}: ${error.message}` : `not a PluginError: ${String(error)}`;
  }
  throw new Error('open was expected to fail');
}

describe('AesGcmSecrets', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);

  it('round-trips text, with a fresh IV each time and the key id in the sealed value', async () => {
    const secrets = new AesGcmSecrets([keyA]);
    const plaintext = 'refresh-token-é✓-0123456789';
    const one = await secrets.seal(plaintext);
    const two = await secrets.seal(plaintext);
    expect(one).not.toBe(two);
    expect(one).not.toContain(plaintext);
    expect(one.split('.').slice(0, 2)).toEqual(['v1', keyId(keyA)]);
    expect(keyId(keyA)).toMatch(/^[0-9a-f]{8}$/);
    expect(await secrets.open(one)).toBe(plaintext);
    expect(await secrets.open(await secrets.seal(''))).toBe('');
  });

  it('detects tampering of the data, the tag, the IV and the key id', async () => {
    const secrets = new AesGcmSecrets([keyA]);
    const sealed = await secrets.seal('a secret value');
    const parts = sealed.split('.');
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    for (const index of [2, 3, 4]) {
      const tampered = parts.map((p, i) => (i === index ? flip(p) : p)).join('.');
      expect(await openError(secrets, tampered)).toMatch(/^ERR_SECRET_UNREADABLE: .*failed its integrity check/);
    }
    expect(await openError(secrets, ['v1', 'deadbeef', ...parts.slice(2)].join('.'))).toMatch(
      /^ERR_SECRET_UNREADABLE: .*sealed with key deadbeef, which is not configured/,
    );
    expect(await openError(secrets, 'plaintext-token')).toMatch(/^ERR_SECRET_UNREADABLE: .*not in the sealed format/);
  });

  it('rotates keys: a value sealed with the old key still opens once a new key is added first', async () => {
    const old = new AesGcmSecrets([keyA]);
    const sealedWithA = await old.seal('kept across rotation');
    const rotated = new AesGcmSecrets([keyB, keyA]);
    expect(rotated.sealingKeyId).toBe(keyId(keyB));
    expect(await rotated.open(sealedWithA)).toBe('kept across rotation');
    const sealedWithB = await rotated.seal('new value');
    expect(sealedWithB.split('.')[1]).toBe(keyId(keyB));
    expect(await openError(old, sealedWithB)).toMatch(/^ERR_SECRET_UNREADABLE: .*not configured/);
    expect(await openError(new AesGcmSecrets([keyB]), sealedWithA)).toMatch(/^ERR_SECRET_UNREADABLE/);
  });
});

describe('loadSecretKeys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oauth2-mail-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a key file with mode 0600 when the environment has no key, and reuses it', () => {
    const keyFile = join(dir, 'nested', 'secret.key');
    const first = loadSecretKeys({ env: {}, keyFile });
    expect(first).toHaveLength(1);
    expect(first[0]?.length).toBe(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64').equals(first[0] as Buffer)).toBe(true);
    const second = loadSecretKeys({ env: {}, keyFile });
    expect(second[0]?.equals(first[0] as Buffer)).toBe(true);
  });

  it('takes OAUTH2_MAIL_SECRET_KEYS (first seals) over OAUTH2_MAIL_SECRET_KEY, and never touches the key file then', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keyFile = join(dir, 'secret.key');
    const keys = loadSecretKeys({
      env: {
        OAUTH2_MAIL_SECRET_KEYS: `${b.toString('base64')}, ${a.toString('base64')}`,
        OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      keyFile,
    });
    expect(keys.map((k) => keyId(k))).toEqual([keyId(b), keyId(a)]);
    const single = loadSecretKeys({ env: { OAUTH2_MAIL_SECRET_KEY: a.toString('base64') }, keyFile });
    expect(single.map((k) => keyId(k))).toEqual([keyId(a)]);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('refuses a key that is not 32 bytes, without echoing it', () => {
    const short = Buffer.from('too short').toString('base64');
    let message = '';
    try {
      loadSecretKeys({ env: { OAUTH2_MAIL_SECRET_KEY: short }, keyFile: join(dir, 'k') });
    } catch (error) {
      message = isPluginError(error) ? `${error.code}: ${error.message}` : String(error);
    }
    expect(message).toMatch(
      /^ERR_INPUT_INVALID: OAUTH2_MAIL_SECRET_KEY must be the base64 encoding of exactly 32 random bytes \(got 9 bytes\)/,
    );
    expect(message).not.toContain(short);
  });
});
