/** MailFetcher over imapflow 2.10.2 (docs/providers.md, "SASL XOAUTH2 and OAUTHBEARER" and "imapflow traps"). */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { classifyHost } from '../../lib/net/address-class';
import { refusalOf } from '../../lib/net/address-policy';
import { guardedLookup, type ResolveAll } from '../../lib/net/guarded-lookup';
import { PluginError } from '../../plugin/errors';
import type { LoggerPort } from '../../plugin/ports/host';
import type { MailConnectionOptions, MailFetcher, MailSession } from '../../plugin/ports/mail-fetcher';
import { mapImapError } from './imap-error-mapper';
import { imapFlowLogger } from './imap-logger';
import { imapTransportSecurity } from './imap-tls-options';
import { ImapFlowMailSession } from './imapflow-mail-session';

/** How the fetcher is built. */
export interface ImapFlowMailFetcherOptions {
  /** Where imapflow's own log lines go (whitelisted fields only); omitted: imapflow logs nothing. */
  readonly logger?: LoggerPort;
  /** Cleartext IMAP (TLS mode `none`) to a loopback host, for tests and the demo only. */
  readonly allowInsecureLoopback?: boolean;
  /** Plugin config `allowPrivateNetworks`: mail servers in a private network (default refused). */
  readonly allowPrivateNetworks?: boolean;
  /** Seam for tests: the resolver behind the guarded lookup (default dns.lookup). */
  readonly resolveAll?: ResolveAll;
  /** Seam for tests: builds the client (default `new ImapFlow(options)`). */
  readonly createClient?: (options: ImapFlowOptions) => ImapFlow;
}

/** How long the server may stay silent while a command waits, unless the connection says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/**
 * Connects with `auth: { user, accessToken }`: imapflow picks OAUTHBEARER when the server offers it, else XOAUTH2,
 * and never falls back to a password mechanism because none is given.
 * @example
 * const fetcher = new ImapFlowMailFetcher({ logger: host.logger.child({ component: 'imap' }) });
 * const session = await fetcher.connect({ host, port: 993, tls: 'implicit', user, accessToken, timeoutMs: 30_000 });
 */
export class ImapFlowMailFetcher implements MailFetcher {
  constructor(private readonly options: ImapFlowMailFetcherOptions = {}) {}

  /** @inheritdoc */
  async connect(connection: MailConnectionOptions, signal?: AbortSignal): Promise<MailSession> {
    if (signal?.aborted)
      throw new PluginError('ERR_TIMEOUT', 'connect: stopped before connecting', { operation: 'connect' });
    const secrets = [connection.accessToken];
    const commandTimeoutMs = connection.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const network = { allowPrivateNetworks: this.options.allowPrivateNetworks ?? false };
    // An address literal never reaches the lookup below: it is checked here; a name is checked for what it resolves to.
    const refusal = refusalOf(classifyHost(connection.host), network);
    if (refusal !== null)
      throw new PluginError('ERR_ADDRESS_REFUSED', `connect: ${connection.host} is ${refusal}.`, {
        operation: 'connect',
      });
    const security = imapTransportSecurity(
      connection.host,
      connection.tls,
      connection.caCertPem,
      this.options.allowInsecureLoopback ?? false,
    );
    const clientOptions: ImapFlowOptions = {
      host: connection.host,
      port: connection.port,
      secure: security.secure,
      doSTARTTLS: security.doSTARTTLS,
      ...(security.servername ? { servername: security.servername } : {}),
      tls: { ...security.tls, lookup: guardedLookup(network, this.options.resolveAll) },
      auth: { user: connection.user, accessToken: connection.accessToken },
      logger: this.options.logger ? imapFlowLogger(this.options.logger, secrets) : false,
      // A server that does not finish the TCP and TLS handshake, or accepts the connection but never greets, is as
      // silent as one that never answers a command.
      connectionTimeout: Math.min(connection.timeoutMs, commandTimeoutMs),
      greetingTimeout: Math.min(connection.timeoutMs, commandTimeoutMs),
      // imapflow's default (5 minutes) would let a stalled server hold the poll until the account timeout.
      socketTimeout: commandTimeoutMs,
      // The poll cycle drives the session; a background IDLE would only race its commands.
      disableAutoIdle: true,
      clientInfo: { name: 'oauth2-mail' },
    };
    const client = (this.options.createClient ?? ((options) => new ImapFlow(options)))(clientOptions);
    // An 'error' event without a listener crashes the process; the failure itself reaches the caller
    // through the rejected command, so the listener only records it.
    client.on('error', (err: unknown) => {
      this.options.logger?.debug('imap connection error', {
        code: (err as { code?: unknown })?.code as string | undefined,
      });
    });
    const opened: { session?: ImapFlowMailSession } = {};
    const onAbort = () => {
      if (opened.session) opened.session.abort();
      else client.close();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // Connection and greeting have imapflow's timers; the login commands after them run on the socket timeout. This
    // bounds the whole connect once more, whatever imapflow does on a quiet socket.
    const loginDeadlineMs = connection.timeoutMs + commandTimeoutMs;
    let pastDeadline = false;
    const deadline = setTimeout(() => {
      pastDeadline = true;
      client.close();
    }, loginDeadlineMs);
    try {
      await client.connect();
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      try {
        client.close();
      } catch {
        // already closed
      }
      if (signal?.aborted)
        throw new PluginError('ERR_TIMEOUT', 'connect: stopped while connecting', { operation: 'connect' });
      if (pastDeadline)
        throw new PluginError(
          'ERR_TIMEOUT',
          `connect: the mail server did not complete the login within ${Math.round(loginDeadlineMs / 1000)} s.`,
          { operation: 'connect', timeoutMs: loginDeadlineMs },
        );
      throw mapImapError(error, {
        operation: 'connect',
        secrets,
        byeReason: client.byeReason,
        transport: { port: connection.port, tls: connection.tls },
      });
    } finally {
      clearTimeout(deadline);
    }
    opened.session = new ImapFlowMailSession(client, mechanismOf(client), secrets, commandTimeoutMs);
    client.once('close', () => signal?.removeEventListener('abort', onAbort));
    return opened.session;
  }
}

/** The mechanism imapflow used; it records it in the (untyped) authCapabilities map after a successful AUTHENTICATE. */
function mechanismOf(client: ImapFlow): 'XOAUTH2' | 'OAUTHBEARER' {
  const used = (client as unknown as { authCapabilities?: Map<string, boolean> }).authCapabilities;
  if (used?.get('AUTH=OAUTHBEARER') === true) return 'OAUTHBEARER';
  return 'XOAUTH2';
}
