/** Which provider URLs the plugin accepts: https, or plain http on the loopback interface when the config allows it (tests, demo). */
import { PluginError } from '../../errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when `hostname` names this machine's loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Checks a provider URL (issuer, endpoint).
 * @param value - the URL as entered or discovered
 * @param field - the field name for the message (e.g. `tokenUrl`)
 * @param allowInsecureLoopback - plugin config `allowInsecureLoopback`
 * @returns the parsed URL
 * @throws PluginError ERR_INPUT_INVALID naming the field: not a URL, credentials or a fragment in it, or not https
 */
export function assertProviderUrl(value: string, field: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PluginError('ERR_INPUT_INVALID', `${field}: "${value}" is not a valid URL.`, { fields: [field] });
  }
  if (url.username || url.password)
    throw new PluginError('ERR_INPUT_INVALID', `${field}: a URL must not contain a user name or password.`, {
      fields: [field],
    });
  if (url.hash)
    throw new PluginError('ERR_INPUT_INVALID', `${field}: a URL must not contain a #fragment.`, { fields: [field] });
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(url.hostname)) return url;
  const loopbackHint =
    url.protocol === 'http:' && isLoopbackHost(url.hostname)
      ? ' (plain http on 127.0.0.1/localhost needs the plugin config allowInsecureLoopback)'
      : '';
  throw new PluginError('ERR_INPUT_INVALID', `${field}: must be an https:// URL${loopbackHint}.`, { fields: [field] });
}
