/** Reading a mailbox over a mail protocol (a port: docs/architecture.md#parts); implemented by adapters/imapflow. */
import type { TlsMode } from './account-repository';

/** Where and as whom to connect. */
export interface MailConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /** The SASL user: the mailbox address (the shared mailbox's address for a delegate). */
  readonly user: string;
  readonly accessToken: string;
  /** Extra trusted CA certificates (PEM) besides the system store and NODE_EXTRA_CA_CERTS. */
  readonly caCertPem?: string | null;
  /** Connection and greeting timeout. */
  readonly timeoutMs: number;
  /**
   * The longest the server may stay silent while the session waits for it: the greeting and the login included,
   * then every command (a download that keeps receiving is not cut off). Exceeded: ERR_TIMEOUT and the session
   * is closed. Default 60 s (plugin config `fetch.commandTimeoutSeconds`).
   */
  readonly commandTimeoutMs?: number;
}

/** The state of an opened folder. */
export interface FolderState {
  readonly path: string;
  /** UIDVALIDITY as a decimal string (it is a 32-bit unsigned). */
  readonly uidValidity: string;
  readonly uidNext: number;
  readonly exists: number;
}

/** A message listed in a folder, before its body is downloaded. */
export interface MessageSummary {
  readonly uid: number;
  readonly size: number;
  readonly internalDate: Date | null;
  readonly seen: boolean;
}

/** One authenticated session on a mailbox. */
export interface MailSession {
  /** The SASL mechanism the server and client agreed on. */
  readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER';
  listFolders(): Promise<string[]>;
  /** @throws PluginError ERR_MAIL_FOLDER_NOT_FOUND */
  openFolder(path: string): Promise<FolderState>;
  /** Messages of the open folder with UID >= `fromUid`, ascending by UID; with `limit`, only the first `limit` of them. */
  listMessages(query: {
    readonly fromUid: number;
    readonly unseenOnly?: boolean;
    readonly limit?: number;
  }): Promise<MessageSummary[]>;
  /** The exact raw bytes of one message; null when it vanished meanwhile. */
  download(uid: number): Promise<Buffer | null>;
  /**
   * The exact raw bytes of several messages of the open folder in one round trip, keyed by UID; a UID that
   * vanished meanwhile is absent. Optional: without it, the cycle downloads one message at a time.
   */
  downloadMany?(uids: readonly number[]): Promise<Map<number, Buffer>>;
  /** @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses. */
  markSeen(uid: number): Promise<void>;
  /** @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses. */
  move(uid: number, folder: string): Promise<void>;
  /** Flags \\Deleted and expunges that UID. @throws PluginError ERR_MAIL_OPERATION_FAILED */
  delete(uid: number): Promise<void>;
  /**
   * The set variants, one command for the whole set (`UID STORE <set> +FLAGS (\\Seen)`, `UID MOVE <set>`,
   * `\\Deleted` + `UID EXPUNGE <set>` where UIDPLUS is offered). A refusal names no UID: the caller finds out which
   * by trying them one at a time. Optional: without them the cycle acts per UID.
   * @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses.
   */
  markSeenMany?(uids: readonly number[]): Promise<void>;
  /** @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses. */
  moveMany?(uids: readonly number[], folder: string): Promise<void>;
  /** @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses. */
  deleteMany?(uids: readonly number[]): Promise<void>;
  /** Logs out; never throws. */
  close(): Promise<void>;
}

/** Opens sessions. */
export interface MailFetcher {
  /**
   * Connects and authenticates with XOAUTH2 or OAUTHBEARER (whichever the server offers), TLS verified.
   * @throws PluginError ERR_MAIL_AUTH_FAILED | ERR_MAILBOX_ACCESS_DENIED | ERR_MAIL_TLS | ERR_MAIL_UNAVAILABLE | ERR_MAIL_TOKEN_EXPIRED | ERR_TIMEOUT
   */
  connect(options: MailConnectionOptions, signal?: AbortSignal): Promise<MailSession>;
}
