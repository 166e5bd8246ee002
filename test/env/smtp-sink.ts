/**
 * A local SMTP server that keeps what it receives (smtp-server), behind the test Dovecot's submission service:
 * Dovecot authenticates the client with its token, then relays to the sink, so a test reads exactly what left.
 * It can refuse chosen senders (553) and be stopped and started again on the same port (a relay that went away).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** One message as the sink received it. */
export interface SinkMessage {
  readonly from: string;
  readonly to: readonly string[];
  /** The bytes after DATA, as relayed (Dovecot adds its Received header). */
  readonly raw: Buffer;
}

/** A running sink. */
export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Everything received since start (survives a stop). */
  readonly messages: readonly SinkMessage[];
  /** MAIL FROM of these addresses is answered `553 5.7.1 Sender address rejected`. */
  refuseSender(address: string): void;
  /** Waits until `count` messages arrived (or throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<readonly SinkMessage[]>;
  /** Closes the listener: the relay is gone until {@link SmtpSink.start}. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

function addressOf(address: SMTPServerAddress | false): string {
  return address ? address.address.toLowerCase() : '';
}

/**
 * Starts a sink on 127.0.0.1.
 * @param port - 0 for a free one
 */
export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const refused = new Set<string>();
  const waiters = new Set<() => void>();
  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onMailFrom(address, _session, callback) {
        if (!refused.has(addressOf(address))) return callback();
        const error = Object.assign(new Error('5.7.1 Sender address rejected: not owned by user'), {
          responseCode: 553,
        });
        return callback(error);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          messages.push({
            from: addressOf(session.envelope.mailFrom),
            to: session.envelope.rcptTo.map((rcpt) => addressOf(rcpt)),
            raw: Buffer.concat(chunks),
          });
          for (const wake of waiters) wake();
          callback();
        });
      },
    });
  let server: SMTPServer | null = null;
  let boundPort = port;
  const listen = async () => {
    const next = create();
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(boundPort, '127.0.0.1', () => resolve());
    });
    next.on('error', () => undefined);
    boundPort = (next.server.address() as AddressInfo).port;
    server = next;
  };
  await listen();
  return {
    host: '127.0.0.1',
    get port() {
      return boundPort;
    },
    messages,
    refuseSender: (address) => void refused.add(address.toLowerCase()),
    async waitFor(count, timeoutMs = 15_000) {
      if (messages.length >= count) return messages;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the SMTP sink received ${messages.length} of ${count} messages in ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
      return messages;
    },
    async stop() {
      const current = server;
      server = null;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    start: listen,
  };
}
