/**
 * Reading a mailbox over POP3 (a port: docs/architecture.md#parts); implemented by adapters/pop3. POP3 has one
 * maildrop per user, no folders, no flags and no UIDVALIDITY: a message is known by its UIDL only (RFC 1939 §7).
 */
import type { MailConnectionOptions } from './mail-fetcher';

/** One message of the maildrop, as listed by UIDL and LIST. */
export interface Pop3Message {
  /** The message number of this session (1-based; valid until QUIT). */
  readonly number: number;
  /** The server's unique id of the message (1-70 printable characters), stable across sessions. */
  readonly uidl: string;
  /** The size LIST reports (octets, CRLF line ends). */
  readonly size: number;
}

/** The maildrop's size (STAT). */
export interface Pop3Stat {
  readonly count: number;
  readonly octets: number;
}

/** One authenticated POP3 session (the maildrop is locked until {@link Pop3Session.quit} or the connection ends). */
export interface Pop3Session {
  /** The SASL mechanism used. */
  readonly mechanism: 'XOAUTH2';
  /** @throws PluginError ERR_MAIL_UNAVAILABLE | ERR_TIMEOUT */
  stat(): Promise<Pop3Stat>;
  /** Every message of the maildrop with its UIDL and size, by message number. */
  list(): Promise<Pop3Message[]>;
  /** The exact raw bytes of one message (dot-unstuffed); null when the server says it is gone. */
  retrieve(number: number): Promise<Buffer | null>;
  /**
   * Marks one message for deletion; only QUIT makes it happen, a session that ends otherwise leaves it.
   * @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses
   */
  delete(number: number): Promise<void>;
  /**
   * Ends the session with QUIT: the server removes the messages marked for deletion.
   * @returns true when the server confirmed (the deletions are done); false when the session ended otherwise
   */
  quit(): Promise<boolean>;
  /** Closes the connection without QUIT (nothing marked is deleted); never throws. */
  close(): Promise<void>;
}

/** Opens POP3 sessions. */
export interface Pop3Fetcher {
  /**
   * Connects (TLS verified: POP3S, or STLS for `starttls`) and authenticates with SASL XOAUTH2.
   * @throws PluginError ERR_MAIL_AUTH_FAILED | ERR_MAIL_TLS | ERR_MAIL_UNAVAILABLE | ERR_ADDRESS_REFUSED | ERR_TIMEOUT
   */
  connect(options: MailConnectionOptions, signal?: AbortSignal): Promise<Pop3Session>;
}
