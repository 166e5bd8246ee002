/**
 * Which provider URLs the plugin accepts: https, or plain http on the loopback interface when the config allows it
 * (tests, demo); never a host that is link-local or a cloud metadata service, and a private network only with
 * `allowPrivateNetworks` (docs/architecture.md#security). A host name is checked again for the addresses it
 * resolves to when the adapters connect (lib/net/guarded-lookup.ts).
 */
import { classifyHost } from '../../../lib/net/address-class';
import { refusalOf, type NetworkPolicy } from '../../../lib/net/address-policy';
import { PluginError } from '../../errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The default network policy: no private networks. */
const NO_PRIVATE_NETWORKS: NetworkPolicy = { allowPrivateNetworks: false };

/** True when `hostname` names this machine's loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Why the plugin does not connect to `host` (a URL's host or a mail server name as entered), or null when it may.
 * @param host - the host as written: literal addresses in any form a resolver reads are classified
 * @param network - plugin config `allowPrivateNetworks`
 */
export function hostRefusal(host: string, network: NetworkPolicy = NO_PRIVATE_NETWORKS): string | null {
  const reason = refusalOf(classifyHost(host), network);
  return reason === null ? null : `${host} is ${reason}`;
}

/**
 * Checks a provider URL (issuer, endpoint).
 * @param value - the URL as entered or discovered
 * @param field - the field name for the message (e.g. `tokenUrl`)
 * @param allowInsecureLoopback - plugin config `allowInsecureLoopback`
 * @param network - plugin config `allowPrivateNetworks`
 * @returns the parsed URL
 * @throws PluginError ERR_INPUT_INVALID naming the field: not a URL, credentials or a fragment in it, not https, or
 *   a host the network policy refuses
 */
export function assertProviderUrl(
  value: string,
  field: string,
  allowInsecureLoopback: boolean,
  network: NetworkPolicy = NO_PRIVATE_NETWORKS,
): URL {
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
  // The parsed hostname: the URL parser has already turned 2852039166 or 0xa9fea9fe into 169.254.169.254.
  const refusal = hostRefusal(url.hostname, network);
  if (refusal !== null)
    throw new PluginError('ERR_INPUT_INVALID', `${field}: ${refusal}; the plugin does not connect there.`, {
      fields: [field],
    });
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(url.hostname)) return url;
  const loopbackHint =
    url.protocol === 'http:' && isLoopbackHost(url.hostname)
      ? ' (plain http on 127.0.0.1/localhost needs the plugin config allowInsecureLoopback)'
      : '';
  throw new PluginError('ERR_INPUT_INVALID', `${field}: must be an https:// URL${loopbackHint}.`, { fields: [field] });
}
