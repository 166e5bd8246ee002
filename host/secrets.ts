/**
 * The host's {@link SecretsPort}: AES-256-GCM with a random 96-bit IV per value. A sealed value is
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts); the key id is the first 8 hex digits of
 * sha256(key), so several keys can be configured and a value opens with the key that sealed it.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PluginError } from '../plugin/index';
import type { LoggerPort, SecretsPort } from '../plugin/index';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The id of a key: first 8 hex digits of its sha256.
 * @param key - 32 raw bytes
 */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Decodes one base64 key and checks its length.
 * @param encoded - base64 (or base64url) of 32 bytes
 * @param source - where it came from, for the error message (never the value)
 */
export function decodeKey(encoded: string, source: string): Buffer {
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== KEY_BYTES)
    throw new PluginError(
      'ERR_INPUT_INVALID',
      `${source} must be the base64 encoding of exactly ${KEY_BYTES} random bytes (got ${key.length} bytes)`,
    );
  return key;
}

/** AES-256-GCM sealing with key rotation: the first key seals, every key opens what it sealed. */
export class AesGcmSecrets implements SecretsPort {
  private readonly sealing: { readonly id: string; readonly key: Buffer };
  private readonly byId: ReadonlyMap<string, Buffer>;

  /** @param keys - 32-byte keys; the first one seals */
  constructor(keys: readonly Buffer[]) {
    const first = keys[0];
    if (first === undefined) throw new PluginError('ERR_INPUT_INVALID', 'At least one secret key is needed');
    for (const key of keys)
      if (key.length !== KEY_BYTES)
        throw new PluginError('ERR_INPUT_INVALID', `A secret key must be ${KEY_BYTES} bytes`);
    this.sealing = { id: keyId(first), key: first };
    this.byId = new Map(keys.map((key) => [keyId(key), key]));
  }

  /** The id of the key that seals new values. */
  get sealingKeyId(): string {
    return this.sealing.id;
  }

  async seal(plaintext: string): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealing.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}.${this.sealing.id}`));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.sealing.id,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  async open(sealed: string): Promise<string> {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    const [version, id, iv, ciphertext, tag] = parts;
    if (
      parts.length !== 5 ||
      version !== VERSION ||
      !id ||
      iv === undefined ||
      ciphertext === undefined ||
      tag === undefined
    ) {
      throw new PluginError(
        'ERR_SECRET_UNREADABLE',
        'The stored secret is not in the sealed format (v1.<key id>.<iv>.<data>.<tag>)',
      );
    }
    const key = this.byId.get(id);
    if (!key)
      throw new PluginError(
        'ERR_SECRET_UNREADABLE',
        `The stored secret was sealed with key ${id}, which is not configured`,
        { keyId: id },
      );
    try {
      const ivBytes = Buffer.from(iv, 'base64url');
      const tagBytes = Buffer.from(tag, 'base64url');
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('bad iv or tag length');
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${VERSION}.${id}`));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new PluginError(
        'ERR_SECRET_UNREADABLE',
        `The stored secret sealed with key ${id} failed its integrity check (tampered or corrupted)`,
        { keyId: id },
        { cause: error },
      );
    }
  }
}

/** Where {@link loadSecretKeys} looks. */
export interface SecretKeySources {
  /** Environment: `OAUTH2_MAIL_SECRET_KEYS` (comma-separated, first seals) or `OAUTH2_MAIL_SECRET_KEY`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Key file used (and created, mode 0600) when the environment has no key. */
  readonly keyFile: string;
  readonly logger?: LoggerPort;
}

/**
 * The configured keys: from the environment, else from the key file, which is created with a new
 * random key (mode 0600) the first time.
 * @param sources - environment and key file path
 * @returns keys, the sealing key first
 */
export function loadSecretKeys(sources: SecretKeySources): Buffer[] {
  const list = sources.env.OAUTH2_MAIL_SECRET_KEYS?.trim();
  if (list)
    return list
      .split(',')
      .filter((part) => part.trim().length > 0)
      .map((part, index) => decodeKey(part, `OAUTH2_MAIL_SECRET_KEYS entry ${index + 1}`));
  const single = sources.env.OAUTH2_MAIL_SECRET_KEY?.trim();
  if (single) return [decodeKey(single, 'OAUTH2_MAIL_SECRET_KEY')];
  return [readOrCreateKeyFile(sources.keyFile, sources.logger)];
}

function readOrCreateKeyFile(file: string, logger: LoggerPort | undefined): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600); // the umask may have narrowed nothing, but make the mode explicit anyway
      logger?.warn('created a new secret key file; back it up: sealed values cannot be opened without it', { file });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process created it first
    }
  }
  if ((statSync(file).mode & 0o077) !== 0)
    logger?.warn('the secret key file is readable by other users; run chmod 600 on it', { file });
  return decodeKey(readFileSync(file, 'utf8'), `The key file ${file}`);
}
