/**
 * Where the plugin connects (docs/architecture.md#security): never to a link-local address, a cloud metadata
 * service, an unspecified or a multicast/reserved address; to a private network only when the plugin config
 * `allowPrivateNetworks` says so (helpdesks on premises); loopback is left to the rules of `allowInsecureLoopback`.
 */
import type { AddressClass } from './address-class';

/** The switch the policy depends on. */
export interface NetworkPolicy {
  /** Plugin config `allowPrivateNetworks`. */
  readonly allowPrivateNetworks: boolean;
}

/**
 * Why the plugin does not connect to an address of `addressClass`, in words that complete "… is", or null when it may.
 * @param addressClass - from classifyAddress / classifyHost; null (a host name not resolved yet) is allowed
 */
export function refusalOf(addressClass: AddressClass | null, policy: NetworkPolicy): string | null {
  switch (addressClass) {
    case 'link-local':
      return 'a link-local address (169.254.0.0/16, fe80::/10), where cloud metadata services answer';
    case 'metadata':
      return 'a cloud metadata service';
    case 'unspecified':
      return 'an unspecified address (0.0.0.0/8, ::), which reaches this machine';
    case 'reserved':
      return 'a multicast, broadcast or reserved address';
    case 'private':
      return policy.allowPrivateNetworks
        ? null
        : 'in a private network (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7), ' +
            'allowed only with the plugin config allowPrivateNetworks';
    default:
      return null;
  }
}
