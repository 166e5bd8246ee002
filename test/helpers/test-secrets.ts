import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PluginError } from '../../plugin/errors';
import type { SecretsPort } from '../../plugin/ports/host';

const PREFIX = 'test-aes-gcm:';

/**
 * A tiny {@link SecretsPort} for tests: AES-256-GCM with a random key held in memory (the reference
 * host brings the real one, with key ids and rotation). Two instances cannot open each other's values.
 * @param key - 32 bytes; random when omitted
 * @returns the port
 */
export function createTestSecrets(key: Buffer = randomBytes(32)): SecretsPort {
  return {
    async seal(plaintext: string): Promise<string> {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    async open(sealed: string): Promise<string> {
      try {
        if (!sealed.startsWith(PREFIX)) throw new Error('not sealed by the test secrets');
        const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new PluginError('ERR_SECRET_UNREADABLE', undefined, {}, { cause: error });
      }
    },
  };
}
