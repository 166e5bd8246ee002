/**
 * HTTP agents for the provider calls: they trust an extra CA certificate (a local or corporate identity provider)
 * on top of the system store and NODE_EXTRA_CA_CERTS, verification never switched off, and they resolve host names
 * through the network policy's guarded lookup (lib/net/guarded-lookup.ts), so a name that resolves to a link-local,
 * metadata or (without allowPrivateNetworks) private address is never connected to.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { NetworkPolicy } from '../../lib/net/address-policy';
import { guardedLookup, type ResolveAll } from '../../lib/net/guarded-lookup';

const agents = new Map<string, https.Agent | http.Agent>();

/**
 * simple-oauth2 merges its `http` options with @hapi/hoek's applyToDefaults, which deep-clones every object,
 * an Agent included; the clone lacks the Agent's private state and the first request throws "Illegal invocation".
 * Hoek leaves an object alone when its prototype says `isImmutable`.
 */
class UncloneableAgent extends https.Agent {}
(UncloneableAgent.prototype as unknown as { isImmutable: boolean }).isImmutable = true;
class UncloneableHttpAgent extends http.Agent {}
(UncloneableHttpAgent.prototype as unknown as { isImmutable: boolean }).isImmutable = true;

/** Node's bundled roots plus the file NODE_EXTRA_CA_CERTS names: an explicit `ca` option replaces both, so we add them back. */
function defaultTrust(): string[] {
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  const extra: string[] = [];
  if (extraFile) {
    try {
      extra.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; do the same (by ignoring it).
    }
  }
  return [...rootCertificates, ...extra];
}

/** How the agent resolves host names. */
export interface AgentGuard {
  /** Plugin config `allowPrivateNetworks` (default: refused). */
  readonly network?: NetworkPolicy;
  /** Seam for tests: the resolver behind the guarded lookup (default dns.lookup); such an agent is not cached. */
  readonly resolveAll?: ResolveAll;
}

/**
 * The agent for a request to `url`: https or http by its protocol, trusting `caCertPem` in addition to the default
 * roots, resolving through the guarded lookup (cached per protocol, CA and policy).
 * @param url - the request URL (its protocol decides between http and https)
 * @param caCertPem - extra trusted CA certificate(s), PEM
 * @param guard - the network policy and, for tests, the resolver
 */
export function trustedAgentFor(url: URL, caCertPem?: string | null, guard: AgentGuard = {}): https.Agent | http.Agent {
  const network = guard.network ?? { allowPrivateNetworks: false };
  const secure = url.protocol === 'https:';
  const key = `${secure ? 'https' : 'http'}|${network.allowPrivateNetworks}|${caCertPem ?? ''}`;
  const cached = guard.resolveAll ? undefined : agents.get(key);
  if (cached) return cached;
  const lookup = guardedLookup(network, guard.resolveAll);
  const agent = secure
    ? new UncloneableAgent({
        ...(caCertPem ? { ca: [...defaultTrust(), caCertPem] } : {}),
        keepAlive: true,
        maxSockets: 16,
        lookup,
      })
    : new UncloneableHttpAgent({ keepAlive: true, maxSockets: 16, lookup });
  if (!guard.resolveAll) agents.set(key, agent);
  return agent;
}
