/**
 * What kind of network an address is in, for the decision where the plugin may connect (lib/net/address-policy.ts):
 * IPv4 and IPv6 literals by their ranges (an IPv4 address embedded in IPv6, `::ffff:a.b.c.d` or NAT64
 * `64:ff9b::a.b.c.d`, counts as that IPv4 address), and the names of cloud metadata services.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The kinds of address the policy tells apart. */
export type AddressClass =
  /** Any address not below. */
  | 'public'
  /** 127.0.0.0/8, ::1 (governed by allowInsecureLoopback where it matters, never refused here). */
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7, fec0::/10. */
  | 'private'
  /** 169.254/16, fe80::/10: reachable only on the local link, where cloud metadata services answer. */
  | 'link-local'
  /** A cloud instance metadata service: its addresses and names. */
  | 'metadata'
  /** 0.0.0.0/8 and `::`: "this host", which the kernel routes to the machine itself. */
  | 'unspecified'
  /** Multicast, broadcast and the reserved 240/4. */
  | 'reserved';

/** The metadata services' own addresses (all inside the ranges above; named so the message can say so). */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, Azure, Google Cloud, Oracle, DigitalOcean, OpenStack …
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2:0:0:0:0:0:254', // AWS, over IPv6
]);

/** Host names that reach a metadata service from inside a cloud. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** True for a cloud metadata service's host name (any case, a trailing dot ignored). */
export function isMetadataHostName(name: string): boolean {
  return METADATA_NAMES.has(name.toLowerCase().replace(/\.$/, ''));
}

function ipv4Class(address: string): AddressClass {
  if (METADATA_ADDRESSES.has(address)) return 'metadata';
  const [a, b] = address.split('.').map(Number) as [number, number, number, number];
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private';
  if (a >= 224) return 'reserved';
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}

function ipv6Class(address: string): AddressClass {
  const groups = ipv6Groups(address.replace(/%.*$/, ''));
  if (METADATA_ADDRESSES.has(groups.map((group) => group.toString(16)).join(':'))) return 'metadata';
  const embedsIpv4 =
    (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) ||
    (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0));
  if (embedsIpv4) return ipv4Class([groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.'));
  if (groups.every((group) => group === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return 'loopback';
  const first = groups[0]!;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return 'private';
  if ((first & 0xff00) === 0xff00) return 'reserved';
  return 'public';
}

/**
 * The class of an IP address literal, or null when `address` is not one.
 * @param address - an IPv4 (dotted decimal) or IPv6 address, with or without brackets and zone
 */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(bare)) return ipv4Class(bare);
  if (isIPv6(bare.replace(/%.*$/, ''))) return ipv6Class(bare);
  return null;
}

/**
 * The class of a host as written (a URL's host or an entered server name): IP literals in every form a resolver
 * would accept (`2852039166`, `0xa9.0xfe.0xa9.0xfe` and `169.254.43518` are 169.254.169.254, as the WHATWG URL
 * parser and the C library read them), metadata names; null for any other host name, which only its resolved
 * addresses can classify.
 */
export function classifyHost(host: string): AddressClass | null {
  if (isMetadataHostName(host)) return 'metadata';
  const literal = classifyAddress(host);
  if (literal !== null) return literal;
  let canonical: string;
  try {
    canonical = new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`).hostname;
  } catch {
    return null;
  }
  return canonical === host.toLowerCase() ? null : classifyAddress(canonical);
}
