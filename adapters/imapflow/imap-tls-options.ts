/** Transport security of the IMAP connection: always verified TLS, cleartext only to loopback with the test setting. */
import type { ConnectionOptions } from 'node:tls';
import type { TlsMode } from '../../plugin/ports/account-repository';
import { assertCleartextAllowed, verifiedTlsOptions } from '../tls/verified-tls';

/** The imapflow options that decide transport security. */
export interface ImapTransportSecurity {
  readonly secure: boolean;
  /** `true`: STARTTLS required (never a silent cleartext fallback); `false`: stay cleartext (loopback only). */
  readonly doSTARTTLS: boolean;
  readonly servername?: string;
  readonly tls: ConnectionOptions;
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
    assertCleartextAllowed('IMAP', host, allowInsecureLoopback);
    return { secure: false, doSTARTTLS: false, tls: {} };
  }
  const { servername, ...tls } = verifiedTlsOptions(host, caCertPem);
  return { secure: mode === 'implicit', doSTARTTLS: mode === 'starttls', ...(servername ? { servername } : {}), tls };
}
