/**
 * Mail server words made safe to show: the secrets of the session (the access token) and any SASL bearer payload
 * replaced by `[redacted]`, hidden characters shown as escapes, bounded in length. The server's words are shown,
 * never obeyed.
 */
import { visibleText } from './visible-text';

/**
 * @param value - the text (an error message, a server reply)
 * @param secrets - strings that must not appear (shorter than 4 characters: ignored, they would match anywhere)
 * @returns at most 500 characters
 */
export function redactSecrets(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return visibleText(out.replace(/auth=Bearer\s+\S+/gi, 'auth=Bearer [redacted]').slice(0, 500));
}
