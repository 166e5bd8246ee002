/** One authenticated POP3 session (RFC 1939 TRANSACTION state) over a {@link Pop3Wire}. */
import { PluginError } from '../../plugin/errors';
import type { Pop3Message, Pop3Session, Pop3Stat } from '../../plugin/ports/pop3-mailbox';
import { mapPop3Error, Pop3CommandRefused } from './pop3-error-mapper';
import type { Pop3Wire } from './pop3-wire';

/** `<number> <value>` lines of a UIDL or LIST listing. */
function parseListing(body: Buffer): Map<number, string> {
  const entries = new Map<number, string>();
  for (const line of body.toString('utf8').split(/\r?\n/)) {
    const match = /^(\d+)\s+(\S+)/.exec(line.trim());
    if (match) entries.set(Number(match[1]), match[2]);
  }
  return entries;
}

/** A session on one maildrop; commands run one at a time (POP3 has no pipelining without PIPELINING). */
export class Pop3WireSession implements Pop3Session {
  readonly mechanism = 'XOAUTH2' as const;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param wire - the connection, authenticated
   * @param secrets - strings scrubbed from every error (the access token)
   */
  constructor(
    private readonly wire: Pop3Wire,
    private readonly secrets: readonly string[],
  ) {}

  /** @inheritdoc */
  async stat(): Promise<Pop3Stat> {
    const text = await this.command('STAT', false);
    const [count, octets] = text.reply.split(/\s+/).map(Number);
    return { count: count ?? 0, octets: octets ?? 0 };
  }

  /** @inheritdoc */
  async list(): Promise<Pop3Message[]> {
    const uidls = parseListing((await this.command('UIDL', true)).body);
    const sizes = parseListing((await this.command('LIST', true)).body);
    const messages: Pop3Message[] = [];
    for (const [number, uidl] of uidls) {
      const size = Number(sizes.get(number));
      // A message listed by UIDL but not by LIST was deleted in between by this session; none here do.
      if (Number.isFinite(size)) messages.push({ number, uidl, size });
    }
    return messages.sort((a, b) => a.number - b.number);
  }

  /** @inheritdoc */
  async retrieve(number: number): Promise<Buffer | null> {
    try {
      return (await this.command(`RETR ${number}`, true)).body;
    } catch (error) {
      // "-ERR no such message": deleted by another client between listing and download.
      if (error instanceof PluginError && error.details.refused === true) return null;
      throw error;
    }
  }

  /** @inheritdoc */
  async delete(number: number): Promise<void> {
    try {
      await this.command(`DELE ${number}`, false);
    } catch (error) {
      if (error instanceof PluginError && error.details.refused === true)
        throw new PluginError('ERR_MAIL_OPERATION_FAILED', error.message, { operation: `DELE ${number}` });
      throw error;
    }
  }

  /** @inheritdoc */
  async quit(): Promise<boolean> {
    if (!this.wire.open) return false;
    try {
      await this.command('QUIT', false);
      return true;
    } catch {
      return false;
    } finally {
      this.wire.destroy();
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.wire.destroy();
  }

  /** One command and its reply, after the ones before it. */
  private command(line: string, multiline: boolean): Promise<{ reply: string; body: Buffer }> {
    const run = this.#queue.then(async () => {
      try {
        this.wire.write(line);
        const reply = await this.wire.readReply();
        if (reply.kind === 'err') throw new Pop3CommandRefused(reply.text);
        if (reply.kind === 'continue') throw new Pop3CommandRefused(`unexpected continuation to ${line}`);
        return { reply: reply.text, body: multiline ? await this.wire.readMultiline() : Buffer.alloc(0) };
      } catch (error) {
        // A refused command leaves the session usable; anything else (silence, a dropped connection) ends it.
        if (!(error instanceof Pop3CommandRefused)) this.wire.destroy();
        throw mapPop3Error(error, { operation: line, secrets: this.secrets });
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
