/**
 * A Google service account's JSON key file (docs/providers.md#google-service-accounts), imported once: the fields
 * the JWT bearer grant needs are kept, the private key is handed to the repository to seal, and the file itself is
 * never stored, shown or logged.
 */
import { z } from 'zod';
import { PluginError } from '../errors';
import { readRsaPrivateKey } from './client-certificate';

/** What the plugin keeps of a key file. */
export interface ServiceAccountKey {
  /** `client_email`: the assertion's issuer. */
  readonly email: string;
  /** `private_key_id`: the assertion's `kid`. */
  readonly keyId: string | null;
  readonly privateKeyPem: string;
  /** `token_uri`; null when the file names none (a generic provider then uses its own token URL). */
  readonly tokenUrl: string | null;
  /** `client_id`: the number the delegation entry in the Workspace Admin console names. */
  readonly clientId: string | null;
}

const KeyFile = z.object({
  type: z.literal('service_account').optional(),
  client_email: z.string().email(),
  private_key_id: z.string().max(191).optional(),
  private_key: z.string().min(1),
  token_uri: z.string().url().optional(),
  client_id: z.string().max(255).optional(),
});

function invalid(message: string): PluginError {
  const field = 'serviceAccountKey';
  return new PluginError('ERR_INPUT_INVALID', `Invalid app registration: ${field}: ${message}`, {
    fields: [field],
    problems: [`${field}: ${message}`],
  });
}

/**
 * Reads the key file's JSON.
 * @throws PluginError ERR_INPUT_INVALID (field serviceAccountKey) naming what is missing, never echoing the file
 */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw invalid('must be the JSON key file of a service account (Google Cloud console → Keys → Add key → JSON)');
  }
  const parsed = KeyFile.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ');
    throw invalid(`is not a service account key file (${fields})`);
  }
  const file = parsed.data;
  readRsaPrivateKey(file.private_key, 'serviceAccountKey');
  return {
    email: file.client_email,
    keyId: file.private_key_id ?? null,
    privateKeyPem: file.private_key,
    tokenUrl: file.token_uri ?? null,
    clientId: file.client_id ?? null,
  };
}
