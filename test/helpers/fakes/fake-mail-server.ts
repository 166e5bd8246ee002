/**
 * The one fake of the MailFetcher port: a mail server with mailboxes by user, real UID semantics, the tokens it
 * accepts (or a rule for who may log in), every connect attempt recorded, and faults a test can inject.
 */
import { PluginError } from '../../../plugin/errors';
import type {
  FolderState,
  MailConnectionOptions,
  MailFetcher,
  MailSession,
  MessageSummary,
} from '../../../plugin/ports/mail-fetcher';

/** One message in a fake folder. */
export interface FakeMessage {
  raw: Buffer;
  seen: boolean;
  internalDate: Date;
}

/** A fake folder with real UID semantics: UIDs only grow; recreate() changes UIDVALIDITY. */
export class FakeFolder {
  uidValidity = 1000;
  uidNext = 1;
  readonly messages = new Map<number, FakeMessage>();

  add(raw: Buffer | string, options: { seen?: boolean } = {}): number {
    const uid = this.uidNext++;
    this.messages.set(uid, {
      raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'),
      seen: options.seen ?? false,
      internalDate: new Date(Date.UTC(2026, 0, 1, 0, 0, uid)),
    });
    return uid;
  }

  /** Delete and recreate: new UIDVALIDITY, UIDs start again at 1. */
  recreate(): void {
    this.uidValidity += 1;
    this.uidNext = 1;
    this.messages.clear();
  }
}

/** What the fake server does on a given call; return an error to fail it. */
export interface FakeServerFaults {
  /** Before each download; return an error to throw it (the session is dead afterwards when `kills`). */
  download?: (uid: number, session: FakeSession) => PluginError | null;
  markSeen?: (uid: number) => PluginError | null;
  move?: (uid: number, folder: string) => PluginError | null;
  /** Milliseconds a download takes (a slow server). */
  downloadDelayMs?: (uid: number) => number;
  connect?: (options: MailConnectionOptions) => PluginError | null;
}

/** Options of {@link FakeMailServer}. */
export interface FakeMailServerOptions {
  /** Offer the set variants (downloadMany, markSeenMany, moveMany, deleteMany) as imapflow's session does; default true. */
  readonly setCommands?: boolean;
  /** Who may log in; default: any user whose access token is in {@link FakeMailServer.acceptedTokens}. */
  readonly accepts?: (options: MailConnectionOptions) => boolean;
}

/** A fake mail server: mailboxes by user, the logins it accepts. */
export class FakeMailServer implements MailFetcher {
  readonly mailboxes = new Map<string, Map<string, FakeFolder>>();
  readonly acceptedTokens = new Set<string>();
  readonly faults: FakeServerFaults = {};
  connects = 0;
  listCalls = 0;
  openSessions = 0;
  maxOpenSessions = 0;
  /** Every connect, in order, as asked. */
  readonly attempts: MailConnectionOptions[] = [];
  /** The message commands sessions sent, in order: "download 3", "downloadMany 1,2,3", "markSeenMany 1,2,3" … */
  readonly commands: string[] = [];

  /** @param options - who may log in */
  constructor(private readonly options: FakeMailServerOptions = {}) {}

  folder(user: string, path = 'INBOX'): FakeFolder {
    let folders = this.mailboxes.get(user);
    if (!folders) {
      folders = new Map();
      this.mailboxes.set(user, folders);
    }
    let folder = folders.get(path);
    if (!folder) {
      folder = new FakeFolder();
      folders.set(path, folder);
    }
    return folder;
  }

  async connect(options: MailConnectionOptions, signal?: AbortSignal): Promise<MailSession> {
    this.connects += 1;
    this.attempts.push(options);
    await Promise.resolve();
    if (signal?.aborted) throw new PluginError('ERR_TIMEOUT', 'aborted');
    const fault = this.faults.connect?.(options);
    if (fault) throw fault;
    const accepted = this.options.accepts
      ? this.options.accepts(options)
      : this.acceptedTokens.has(options.accessToken);
    if (!accepted) throw new PluginError('ERR_MAIL_AUTH_FAILED', 'connect: AUTHENTICATE failed');
    const session =
      this.options.setCommands === false
        ? new FakeSession(this, options.user, signal)
        : new FakeSetSession(this, options.user, signal);
    this.openSessions += 1;
    this.maxOpenSessions = Math.max(this.maxOpenSessions, this.openSessions);
    return session;
  }
}

/** A session on the fake server. */
export class FakeSession implements MailSession {
  readonly mechanism = 'XOAUTH2' as const;
  private open: FakeFolder | null = null;
  dead: PluginError | null = null;
  closed = false;

  constructor(
    protected readonly server: FakeMailServer,
    protected readonly user: string,
    private readonly signal?: AbortSignal,
  ) {}

  private check(): void {
    if (this.signal?.aborted) throw new PluginError('ERR_MAIL_UNAVAILABLE', 'connection closed (aborted)');
    if (this.dead) throw this.dead;
  }

  async listFolders(): Promise<string[]> {
    this.check();
    return [...(this.server.mailboxes.get(this.user)?.keys() ?? [])];
  }

  async openFolder(path: string): Promise<FolderState> {
    this.check();
    const folder = this.server.mailboxes.get(this.user)?.get(path);
    if (!folder) throw new PluginError('ERR_MAIL_FOLDER_NOT_FOUND', `open folder ${path}: no such folder`);
    this.open = folder;
    return { path, uidValidity: String(folder.uidValidity), uidNext: folder.uidNext, exists: folder.messages.size };
  }

  async listMessages(query: {
    readonly fromUid: number;
    readonly unseenOnly?: boolean;
    readonly limit?: number;
  }): Promise<MessageSummary[]> {
    this.check();
    this.server.listCalls += 1;
    const folder = this.requireOpen();
    return [...folder.messages.entries()]
      .filter(([uid, msg]) => uid >= query.fromUid && (!query.unseenOnly || !msg.seen))
      .sort(([a], [b]) => a - b)
      .slice(0, query.limit ?? Number.POSITIVE_INFINITY)
      .map(([uid, msg]) => ({ uid, size: msg.raw.length, internalDate: msg.internalDate, seen: msg.seen }));
  }

  async download(uid: number): Promise<Buffer | null> {
    this.server.commands.push(`download ${uid}`);
    return this.source(uid);
  }

  protected async source(uid: number): Promise<Buffer | null> {
    await new Promise((resolve) => setImmediate(resolve));
    const delay = this.server.faults.downloadDelayMs?.(uid) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.check();
    const fault = this.server.faults.download?.(uid, this);
    if (fault) throw fault;
    return this.requireOpen().messages.get(uid)?.raw ?? null;
  }

  async markSeen(uid: number): Promise<void> {
    this.server.commands.push(`markSeen ${uid}`);
    this.check();
    const fault = this.server.faults.markSeen?.(uid);
    if (fault) throw fault;
    const msg = this.requireOpen().messages.get(uid);
    if (msg) msg.seen = true;
  }

  async move(uid: number, folder: string): Promise<void> {
    this.server.commands.push(`move ${uid}`);
    this.check();
    const fault = this.server.faults.move?.(uid, folder);
    if (fault) throw fault;
    const target = this.server.mailboxes.get(this.user)?.get(folder);
    if (!target)
      throw new PluginError('ERR_MAIL_OPERATION_FAILED', `move UID ${uid} to ${folder}: the mail server refused it.`);
    const msg = this.requireOpen().messages.get(uid);
    if (!msg) return;
    this.requireOpen().messages.delete(uid);
    target.add(msg.raw, { seen: msg.seen });
  }

  async delete(uid: number): Promise<void> {
    this.server.commands.push(`delete ${uid}`);
    this.check();
    this.requireOpen().messages.delete(uid);
  }

  async close(): Promise<void> {
    if (!this.closed) this.server.openSessions -= 1;
    this.closed = true;
  }

  private requireOpen(): FakeFolder {
    if (!this.open) throw new PluginError('ERR_INTERNAL', 'no folder open');
    return this.open;
  }
}

/**
 * A session that also has the set variants, like the imapflow one: a set command is refused as a whole when the
 * fault refuses any of its UIDs (a server names no UID in its NO).
 */
export class FakeSetSession extends FakeSession {
  async downloadMany(uids: readonly number[]): Promise<Map<number, Buffer>> {
    this.server.commands.push(`downloadMany ${uids.join(',')}`);
    const sources = new Map<number, Buffer>();
    for (const uid of uids) {
      const raw = await this.source(uid);
      if (raw !== null) sources.set(uid, raw);
    }
    return sources;
  }

  async markSeenMany(uids: readonly number[]): Promise<void> {
    this.server.commands.push(`markSeenMany ${uids.join(',')}`);
    const refused = uids.map((uid) => this.server.faults.markSeen?.(uid)).find((fault) => fault);
    if (refused) throw refused;
    for (const uid of uids) await this.quietly(() => this.markSeen(uid));
  }

  async moveMany(uids: readonly number[], folder: string): Promise<void> {
    this.server.commands.push(`moveMany ${uids.join(',')}`);
    const refused = uids.map((uid) => this.server.faults.move?.(uid, folder)).find((fault) => fault);
    if (refused) throw refused;
    if (!this.server.mailboxes.get(this.user)?.get(folder))
      throw new PluginError('ERR_MAIL_OPERATION_FAILED', `move ${uids.length} messages to ${folder}: refused.`);
    for (const uid of uids) await this.quietly(() => this.move(uid, folder));
  }

  async deleteMany(uids: readonly number[]): Promise<void> {
    this.server.commands.push(`deleteMany ${uids.join(',')}`);
    for (const uid of uids) await this.quietly(() => this.delete(uid));
  }

  /** Runs a single command as part of a set one, without logging it as a command of its own. */
  private async quietly(run: () => Promise<void>): Promise<void> {
    const logged = this.server.commands.length;
    await run();
    this.server.commands.splice(logged);
  }
}
