/**
 * A real MailTransport for the host's outbox tests, registered in a ContributionRegistry directly: it sends with
 * nodemailer to the local SMTP sink (test/env/smtp-sink.ts) and can be told to fail its next attempts with real
 * PluginErrors (retryable or not, from the error table) or with a plain Error.
 */
import nodemailer from 'nodemailer';
import { PluginError, type PluginErrorCode } from '../../plugin/errors';
import type { MailSenderAccount, MailTransport, OutboundMessage, SendResult } from '../../plugin/ports/host';

/** One send as the transport saw it. */
export interface SeenSend {
  readonly accountId: string;
  readonly message: OutboundMessage;
}

/** The test transport and its controls. */
export interface SinkTransport extends MailTransport {
  /** Every call of `send`, in order (also the failed ones). */
  readonly seen: SeenSend[];
  /** The next `count` sends fail with `code` (or a plain Error for `'plain'`), before anything is sent. */
  failNext(code: PluginErrorCode | 'plain', count?: number): void;
  /** Sends wait until {@link SinkTransport.release} (to see a row in `sending`). */
  hold(): void;
  release(): void;
  /** The accounts `senders()` lists (changeable). */
  senders(): Promise<readonly MailSenderAccount[]>;
  setSenders(list: readonly MailSenderAccount[]): void;
}

/**
 * A transport sending to an SMTP server on 127.0.0.1 without TLS or AUTH (the sink).
 * @param port - the sink's port
 * @param senders - the accounts it sends for
 * @param id - its contribution id
 */
export function sinkTransport(
  port: number,
  senders: readonly MailSenderAccount[],
  id = 'test-plugin.sink',
): SinkTransport {
  let list = [...senders];
  const failures: Array<PluginErrorCode | 'plain'> = [];
  const seen: SeenSend[] = [];
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  const mailer = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  return {
    id,
    title: 'Test sink',
    seen,
    failNext(code, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(code);
    },
    hold() {
      let open = () => undefined as void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = null;
    },
    async senders() {
      return list;
    },
    setSenders(next) {
      list = [...next];
    },
    async send(accountId: string, message: OutboundMessage): Promise<SendResult> {
      seen.push({ accountId, message });
      if (gate) await gate.promise;
      const failure = failures.shift();
      if (failure === 'plain') throw new Error('something unexpected broke in the transport');
      if (failure) throw new PluginError(failure, `test failure ${failure}`, { smtpCode: 421 });
      const info = await mailer.sendMail({
        from: message.from,
        to: [...message.to],
        cc: message.cc ? [...message.cc] : undefined,
        bcc: message.bcc ? [...message.bcc] : undefined,
        subject: message.subject,
        text: message.text,
        inReplyTo: message.inReplyTo,
        references: message.references ? [...message.references] : undefined,
        messageId: message.messageId,
      });
      return {
        messageId: String(info.messageId),
        response: String(info.response),
        accepted: (info.accepted as unknown[]).map(String),
        rejected: (info.rejected as unknown[]).map(String),
      };
    },
  };
}

/** The header block of a raw message, unfolded, by lower-cased name (first occurrence). */
export function headersOf(raw: Buffer): Map<string, string> {
  const head = (raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon > 0 && !headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}
