/**
 * The byte stream of one POP3 connection (RFC 1939 §3): single-line replies, multi-line replies ending in `.` with
 * dot-unstuffing, the STLS upgrade (RFC 2595 §4) and a silence bound: a wait for the server fails once it has sent
 * nothing for the whole period (a long RETR that keeps receiving is never cut off).
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** A failure of the connection itself (closed, silent, reset, TLS); `code` is Node's or one of this file's. */
export class Pop3WireError extends Error {
  /**
   * @param message - secret-free words
   * @param code - `POP3_SILENT`, `POP3_CLOSED`, `POP3_LINE_TOO_LONG`, `STARTTLS_INJECTION` or the socket's code
   */
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'Pop3WireError';
  }
}

/** One reply line: `+OK`, `-ERR` or a SASL continuation (`+ <base64>`). */
export interface Pop3Reply {
  readonly kind: 'ok' | 'err' | 'continue';
  /** The text after the status indicator (the challenge, for a continuation). */
  readonly text: string;
}

const LF = 0x0a;
const DOT = 0x2e;
/** A reply line is at most 512 octets (RFC 2449 §4); a longer one is not a POP3 server talking. */
const MAX_REPLY_LINE = 8192;

/**
 * Waits until `socket` emits `event` (connected, or the TLS handshake done), at most `timeoutMs`; the socket is
 * destroyed on timeout and an early socket error rejects.
 */
export function connected<S extends Socket>(
  socket: S,
  event: 'connect' | 'secureConnect',
  timeoutMs: number,
  timeoutMessage: string,
): Promise<S> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Pop3WireError(timeoutMessage, 'POP3_SILENT'));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads and writes one POP3 connection. */
export class Pop3Wire {
  #socket: Socket | TLSSocket;
  /** Received bytes not consumed yet, in arrival order. */
  #chunks: Buffer[] = [];
  #failure: Error | null = null;
  #wake: (() => void) | null = null;

  /**
   * @param socket - the connected TCP or TLS socket
   * @param silenceMs - the longest the server may stay silent while a read waits
   */
  constructor(
    socket: Socket | TLSSocket,
    private readonly silenceMs: number,
  ) {
    this.#socket = socket;
    this.attach(socket);
  }

  /** Sends one command line (CRLF added). */
  write(line: string): void {
    if (this.#failure) throw this.#failure;
    this.#socket.write(`${line}\r\n`, 'utf8');
  }

  /** The next reply line, classified. */
  async readReply(): Promise<Pop3Reply> {
    const line = (await this.readLine(MAX_REPLY_LINE)).toString('utf8').replace(/\r?\n$/, '');
    if (line.startsWith('+OK')) return { kind: 'ok', text: line.slice(3).trim() };
    if (line.startsWith('-ERR')) return { kind: 'err', text: line.slice(4).trim() };
    if (line === '+' || line.startsWith('+ ')) return { kind: 'continue', text: line.slice(1).trim() };
    throw new Pop3WireError(`The server sent an unexpected line: ${line.slice(0, 200)}`, 'POP3_UNEXPECTED');
  }

  /** The body of a multi-line reply up to the terminating `.`, dot-unstuffed, line ends as sent. */
  async readMultiline(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.readLine(Number.POSITIVE_INFINITY);
      if (line[0] === DOT) {
        const rest = line.subarray(1);
        if (rest.length === 2 && rest[0] === 0x0d && rest[1] === LF) break;
        if (rest.length === 1 && rest[0] === LF) break;
        parts.push(rest);
      } else {
        parts.push(line);
      }
    }
    return Buffer.concat(parts);
  }

  /**
   * Upgrades to TLS after the server's `+OK` to STLS. Bytes already received past that reply were sent before the
   * handshake (a man in the middle injecting replies): the connection is refused.
   * @param options - verified TLS options (adapters/tls/verified-tls.ts)
   */
  async upgrade(options: ConnectionOptions): Promise<void> {
    if (this.buffered() > 0) {
      this.#socket.destroy();
      throw new Pop3WireError('The server sent data before the TLS handshake.', 'STARTTLS_INJECTION');
    }
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    // Keeps a late socket error from becoming an unhandled 'error' event; the TLS socket reports it too.
    plain.on('error', () => undefined);
    const secure = await connected(
      tlsConnect({ ...options, socket: plain }),
      'secureConnect',
      this.silenceMs,
      'The TLS handshake did not complete in time.',
    );
    this.#socket = secure;
    this.attach(secure);
  }

  /** Whether the connection is still usable. */
  get open(): boolean {
    return this.#failure === null;
  }

  /** Ends the connection at once; never throws. */
  destroy(reason?: Error): void {
    this.fail(reason ?? new Pop3WireError('The connection was closed.', 'POP3_CLOSED'));
    this.#socket.destroy();
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.wakeUp();
    });
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('close', () => this.fail(new Pop3WireError('The mail server closed the connection.', 'POP3_CLOSED')));
  }

  private fail(error: Error): void {
    if (this.#failure === null) this.#failure = error;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  private buffered(): number {
    return this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** One line including its LF; waits (bounded by silence) until it is complete. */
  private async readLine(maxLength: number): Promise<Buffer> {
    // Where to resume looking for LF: the chunks before `searched` hold none.
    let searched = 0;
    for (;;) {
      for (; searched < this.#chunks.length; searched += 1) {
        const at = this.#chunks[searched].indexOf(LF);
        if (at < 0) continue;
        const head = this.#chunks.slice(0, searched);
        const last = this.#chunks[searched];
        const line = head.length === 0 ? last.subarray(0, at + 1) : Buffer.concat([...head, last.subarray(0, at + 1)]);
        const rest = last.subarray(at + 1);
        this.#chunks = rest.length > 0 ? [rest, ...this.#chunks.slice(searched + 1)] : this.#chunks.slice(searched + 1);
        return line;
      }
      if (Number.isFinite(maxLength) && this.buffered() > maxLength) {
        this.destroy(new Pop3WireError('The server sent a reply line that is too long.', 'POP3_LINE_TOO_LONG'));
      }
      if (this.#failure) throw this.#failure;
      await this.waitForData();
    }
  }

  private waitForData(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const seconds = Math.round(this.silenceMs / 1000);
        this.destroy(new Pop3WireError(`The mail server sent nothing for ${seconds} s.`, 'POP3_SILENT'));
      }, this.silenceMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
