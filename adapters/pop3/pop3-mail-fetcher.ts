/**
 * Pop3Fetcher on node:net / node:tls (docs/providers.md#pop3). No npm POP3 client does SASL XOAUTH2 with the
 * token in the continuation (node-pop3, yapople, poplib: USER/PASS and APOP only), so this small client speaks
 * the few commands a fetch needs: CAPA, STLS, AUTH XOAUTH2, STAT, UIDL, LIST, RETR, DELE, QUIT.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { classifyHost } from '../../lib/net/address-class';
import { refusalOf } from '../../lib/net/address-policy';
import { guardedLookup, type ResolveAll } from '../../lib/net/guarded-lookup';
import { PluginError } from '../../plugin/errors';
import type { MailConnectionOptions } from '../../plugin/ports/mail-fetcher';
import type { Pop3Fetcher, Pop3Session } from '../../plugin/ports/pop3-mailbox';
import { assertCleartextAllowed, verifiedTlsOptions } from '../tls/verified-tls';
import { mapPop3Error, Pop3CommandRefused } from './pop3-error-mapper';
import { Pop3WireSession } from './pop3-session';
import { connected, Pop3Wire, Pop3WireError } from './pop3-wire';
import { authenticateXOAuth2 } from './pop3-xoauth2';

/** How the fetcher is built. */
export interface Pop3MailFetcherOptions {
  /** Cleartext POP3 (TLS mode `none`) to a loopback host, for tests and the demo only. */
  readonly allowInsecureLoopback?: boolean;
  /** Plugin config `allowPrivateNetworks`: mail servers in a private network (default refused). */
  readonly allowPrivateNetworks?: boolean;
  /** Seam for tests: the resolver behind the guarded lookup (default dns.lookup). */
  readonly resolveAll?: ResolveAll;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** The SASL mechanisms and STLS as CAPA lists them (RFC 2449 §6.3, RFC 5034 §6). */
function capabilities(body: Buffer): { sasl: Set<string>; stls: boolean } {
  const sasl = new Set<string>();
  let stls = false;
  for (const line of body.toString('utf8').split(/\r?\n/)) {
    const words = line.trim().toUpperCase().split(/\s+/);
    if (words[0] === 'SASL') for (const mechanism of words.slice(1)) sasl.add(mechanism);
    if (words[0] === 'STLS') stls = true;
  }
  return { sasl, stls };
}

/**
 * Connects, upgrades (STLS) when asked, and logs in with SASL XOAUTH2; never with a password.
 * @example
 * const fetcher = new Pop3MailFetcher();
 * const session = await fetcher.connect({ host, port: 995, tls: 'implicit', user, accessToken, timeoutMs: 30_000 });
 */
export class Pop3MailFetcher implements Pop3Fetcher {
  constructor(private readonly options: Pop3MailFetcherOptions = {}) {}

  /** @inheritdoc */
  async connect(connection: MailConnectionOptions, signal?: AbortSignal): Promise<Pop3Session> {
    const secrets = [connection.accessToken];
    if (signal?.aborted)
      throw new PluginError('ERR_TIMEOUT', 'connect: stopped before connecting', { operation: 'connect' });
    const network = { allowPrivateNetworks: this.options.allowPrivateNetworks ?? false };
    const refusal = refusalOf(classifyHost(connection.host), network);
    if (refusal !== null)
      throw new PluginError('ERR_ADDRESS_REFUSED', `connect: ${connection.host} is ${refusal}.`, {
        operation: 'connect',
      });
    if (connection.tls === 'none')
      assertCleartextAllowed('POP3', connection.host, this.options.allowInsecureLoopback ?? false);
    const tls = connection.tls === 'none' ? null : verifiedTlsOptions(connection.host, connection.caCertPem);
    const commandTimeoutMs = connection.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const lookup = guardedLookup(network, this.options.resolveAll);
    let operation = 'connect';
    let wire: Pop3Wire | undefined;
    const onAbort = () => wire?.destroy(new Pop3WireError('The poll was stopped.', 'POP3_ABORTED'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const socket = await this.open(connection, tls, lookup);
      wire = new Pop3Wire(socket, Math.min(connection.timeoutMs, commandTimeoutMs));
      if (signal?.aborted) onAbort();
      const greeting = await wire.readReply();
      if (greeting.kind !== 'ok') throw new Pop3CommandRefused(greeting.text);
      operation = 'CAPA';
      let capa = capabilities(await this.multiline(wire, 'CAPA'));
      if (connection.tls === 'starttls' && tls) {
        operation = 'STLS';
        // Required, never a silent fallback to cleartext: a server that does not offer STLS is refused.
        if (!capa.stls)
          throw new PluginError('ERR_MAIL_TLS', 'STLS: the mail server does not offer STLS; use "implicit" (995).', {
            operation,
          });
        wire.write('STLS');
        const reply = await wire.readReply();
        if (reply.kind !== 'ok') throw new Pop3CommandRefused(reply.text);
        await wire.upgrade(tls);
        operation = 'CAPA';
        capa = capabilities(await this.multiline(wire, 'CAPA'));
      }
      operation = 'AUTH XOAUTH2';
      if (!capa.sasl.has('XOAUTH2'))
        throw new PluginError('ERR_MAIL_AUTH_FAILED', 'AUTH: the mail server does not offer SASL XOAUTH2.', {
          operation,
        });
      await authenticateXOAuth2(wire, connection.user, connection.accessToken);
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      wire?.destroy();
      if (signal?.aborted)
        throw new PluginError('ERR_TIMEOUT', `${operation}: stopped while connecting`, { operation });
      const transport = operation === 'connect' ? { port: connection.port, tls: connection.tls } : undefined;
      throw mapPop3Error(error, { operation, secrets, ...(transport ? { transport } : {}) });
    }
    // The abort listener stays while the session lives: a stopped poll ends it at once (without QUIT).
    return new Pop3WireSession(wire, secrets);
  }

  /** TCP (then STLS or cleartext) or implicit TLS, bounded by the connect timeout. */
  private open(
    connection: MailConnectionOptions,
    tls: ReturnType<typeof verifiedTlsOptions> | null,
    lookup: ReturnType<typeof guardedLookup>,
  ): Promise<Socket | TLSSocket> {
    const implicit = connection.tls === 'implicit' && tls !== null;
    const socket = implicit
      ? tlsConnect({ ...tls, host: connection.host, port: connection.port, lookup })
      : netConnect({ host: connection.host, port: connection.port, lookup });
    const timeout = `No connection within ${Math.round(connection.timeoutMs / 1000)} s.`;
    return connected(socket, implicit ? 'secureConnect' : 'connect', connection.timeoutMs, timeout);
  }

  private async multiline(wire: Pop3Wire, command: string): Promise<Buffer> {
    wire.write(command);
    const reply = await wire.readReply();
    if (reply.kind !== 'ok') throw new Pop3CommandRefused(reply.text);
    return wire.readMultiline();
  }
}
