/**
 * A DNS lookup for sockets (`net.connect` / `tls.connect` / HTTP agents `lookup` option) that refuses a host name
 * resolving to an address the network policy forbids. The socket connects to exactly the address checked here,
 * so a name that resolves differently at the next lookup (DNS rebinding) is checked again then.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { classifyAddress, isMetadataHostName } from './address-class';
import { refusalOf, type NetworkPolicy } from './address-policy';

/** The error code a refused host name fails its socket with. */
export const REFUSED_ADDRESS_CODE = 'O2M_REFUSED_ADDRESS';

/** A connection the policy refused; `message` names the host, the address and why, never anything secret. */
export class RefusedAddressError extends Error {
  readonly code = REFUSED_ADDRESS_CODE;

  /**
   * @param host - the name or address connected to
   * @param reason - from refusalOf
   * @param address - the resolved address, when it differs from `host`
   */
  constructor(
    readonly host: string,
    reason: string,
    readonly address?: string,
  ) {
    super(`${host}${address && address !== host ? ` resolves to ${address}, which is` : ' is'} ${reason}.`);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The `lookup` option sockets and agents take. */
export type SocketLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** Resolves every address of a name (dns.lookup with `all: true`); a seam for tests. */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * The `lookup` option of a socket or agent under `policy`.
 * @param policy - plugin config `allowPrivateNetworks`
 * @param resolveAll - the resolver (default dns.lookup, the system's resolver as every Node socket uses it)
 */
export function guardedLookup(policy: NetworkPolicy, resolveAll: ResolveAll = dnsLookup): SocketLookup {
  return (hostname, options, callback) => {
    if (isMetadataHostName(hostname)) {
      callback(new RefusedAddressError(hostname, 'a cloud metadata service'), '');
      return;
    }
    resolveAll(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
        return;
      }
      // One forbidden address refuses the name: otherwise a rebinding answer could mix one in.
      for (const { address } of addresses) {
        const reason = refusalOf(classifyAddress(address), policy);
        if (reason !== null) {
          callback(new RefusedAddressError(hostname, reason, address), '');
          return;
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
