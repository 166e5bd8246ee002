/**
 * TLS client options shared by the mail adapters (IMAP, SMTP): always verified; a custom CA is added to, never
 * instead of, the usual trust store; SNI only for host names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates, type ConnectionOptions, type SecureContext } from 'node:tls';
import { PluginError } from '../../plugin/errors';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// Node's TLS layer reports certificate problems with OpenSSL's verify codes and its own ERR_TLS_* / ERR_SSL_* codes.
const TLS_FAILURE_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$|STARTTLS_INJECTION$)/;

/** True for an error code of a failed TLS handshake or certificate check (and a STARTTLS reply injection). */
export function isTlsFailureCode(code: string): boolean {
  return TLS_FAILURE_CODE.test(code);
}

/** The oldest protocol version a mail connection accepts. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** True for the loopback host names and addresses, where cleartext may be allowed for tests and the demo. */
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
 * Verified TLS client options for `host`.
 * @param host - the server host name or address
 * @param caCertPem - an extra trusted CA (PEM), added to Node's store and NODE_EXTRA_CA_CERTS
 * @returns options for tls.connect (and the libraries that pass them on); `servername` only for a host name
 */
export function verifiedTlsOptions(host: string, caCertPem: string | null | undefined): ConnectionOptions {
  const tls: ConnectionOptions = { rejectUnauthorized: true, minVersion: MIN_TLS_VERSION };
  // The context carries the trust list (and the minimum version); verification stays on through rejectUnauthorized.
  if (caCertPem) tls.secureContext = trustContext([...rootCertificates, ...extraCaCertificates(), caCertPem]);
  // SNI must be a host name (RFC 6066 §3); for an address the certificate is checked against its IP SAN.
  if (isIP(host) === 0) tls.servername = host;
  return tls;
}

/**
 * Refuses cleartext (TLS mode `none`) except to a loopback host with `allowInsecureLoopback`.
 * @param protocol - the protocol's name for the message ("IMAP", "SMTP")
 * @param host - the server
 * @param allowInsecureLoopback - the plugin setting
 * @throws PluginError ERR_INPUT_INVALID (field `tls`)
 */
export function assertCleartextAllowed(protocol: string, host: string, allowInsecureLoopback: boolean): void {
  if (allowInsecureLoopback && isLoopbackHost(host)) return;
  throw new PluginError(
    'ERR_INPUT_INVALID',
    `Cleartext ${protocol} (TLS mode "none") is only allowed to 127.0.0.1 / localhost with allowInsecureLoopback; ` +
      `use "implicit" or "starttls" for ${host}.`,
    { field: 'tls' },
  );
}
