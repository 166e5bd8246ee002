/**
 * HTTP agents that trust an extra CA certificate (a local or corporate identity provider) on top of the
 * system store and NODE_EXTRA_CA_CERTS. Verification is never switched off.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

const agents = new Map<string, https.Agent>();

/**
 * simple-oauth2 merges its `http` options with @hapi/hoek's applyToDefaults, which deep-clones every object,
 * an Agent included; the clone lacks the Agent's private state and the first request throws "Illegal invocation".
 * Hoek leaves an object alone when its prototype says `isImmutable`.
 */
class UncloneableAgent extends https.Agent {}
(UncloneableAgent.prototype as unknown as { isImmutable: boolean }).isImmutable = true;

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

/**
 * The agent for a request to `url`: for https with `caCertPem` an https.Agent trusting it in addition to the
 * default roots (cached per CA); otherwise undefined, i.e. Node's global agent (which honours NODE_EXTRA_CA_CERTS).
 * @param url - the request URL (its protocol decides between http and https)
 * @param caCertPem - extra trusted CA certificate(s), PEM
 */
export function trustedAgentFor(url: URL, caCertPem?: string | null): https.Agent | http.Agent | undefined {
  if (url.protocol !== 'https:' || !caCertPem) return undefined;
  let agent = agents.get(caCertPem);
  if (!agent) {
    agent = new UncloneableAgent({ ca: [...defaultTrust(), caCertPem], keepAlive: true, maxSockets: 16 });
    agents.set(caCertPem, agent);
  }
  return agent;
}
