/** TLS settings for the IMAP connection: always verified; a custom CA is added to, never instead of, the usual trust store. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates, type ConnectionOptions, type SecureContext } from 'node:tls';
import { PluginError } from '../../plugin/errors';
import type { TlsMode } from '../../plugin/ports/account-repository';

/** The imapflow options that decide transport security. */
export interface ImapTransportSecurity {
  readonly secure: boolean;
  /** `true`: STARTTLS required (never a silent cleartext fallback); `false`: stay cleartext (loopback only). */
  readonly doSTARTTLS: boolean;
  readonly servername?: string;
  readonly tls: ConnectionOptions;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** True for the loopback host names and addresses, where cleartext IMAP may be allowed for tests and the demo. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\./.test(host);
}

/**
 * The extra CA certificates Node was started with (NODE_EXTRA_CA_CERTS). Node adds them to its default store,
 * but an explicit `ca` option replaces that store, so they are re-added when a custom CA is configured.
 */
function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

const MIN_TLS_VERSION = 'TLSv1.2';
/** Few distinct trust lists exist (one per configured CA); the bound only keeps a misuse from growing without end. */
const MAX_CACHED_CONTEXTS = 16;
const trustContexts = new Map<string, SecureContext>();

/**
 * The secure context for a trust list, built once: parsing Node's ~140 root certificates plus the custom CA costs
 * ~25 ms of CPU per connection (more than the IMAP login itself), which an idle poll cycle would pay for every account.
 */
function trustContext(ca: readonly string[]): SecureContext {
  const key = createHash('sha256').update(ca.join('\n')).digest('hex');
  let context = trustContexts.get(key);
  if (!context) {
    if (trustContexts.size >= MAX_CACHED_CONTEXTS) trustContexts.clear();
    context = createSecureContext({ ca: [...ca], minVersion: MIN_TLS_VERSION });
    trustContexts.set(key, context);
  }
  return context;
}

/**
 * Builds imapflow's transport options for a TLS mode.
 * @param host - the server host name or address
 * @param mode - `implicit` (993), `starttls` (143 + required upgrade) or `none` (cleartext, loopback only)
 * @param caCertPem - an extra trusted CA (PEM), added to Node's store and NODE_EXTRA_CA_CERTS
 * @param allowInsecureLoopback - whether `none` is allowed at all (and then only for a loopback host)
 * @throws PluginError ERR_INPUT_INVALID when cleartext is asked for a non-loopback host or is not allowed
 */
export function imapTransportSecurity(
  host: string,
  mode: TlsMode,
  caCertPem: string | null | undefined,
  allowInsecureLoopback: boolean,
): ImapTransportSecurity {
  if (mode === 'none') {
    if (!allowInsecureLoopback || !isLoopbackHost(host)) {
      throw new PluginError(
        'ERR_INPUT_INVALID',
        'Cleartext IMAP (TLS mode "none") is only allowed to 127.0.0.1 / localhost with allowInsecureLoopback; ' +
          `use "implicit" or "starttls" for ${host}.`,
        { field: 'tls' },
      );
    }
    return { secure: false, doSTARTTLS: false, tls: {} };
  }
  const tls: ConnectionOptions = { rejectUnauthorized: true, minVersion: MIN_TLS_VERSION };
  if (caCertPem) {
    // The context carries the trust list (and the minimum version); verification stays on through rejectUnauthorized.
    tls.secureContext = trustContext([...rootCertificates, ...extraCaCertificates(), caCertPem]);
  }
  // SNI must be a host name (RFC 6066 §3); for an address the certificate is checked against its IP SAN.
  const servername = isIP(host) === 0 ? host : undefined;
  return {
    secure: mode === 'implicit',
    doSTARTTLS: mode === 'starttls',
    ...(servername ? { servername } : {}),
    tls,
  };
}
