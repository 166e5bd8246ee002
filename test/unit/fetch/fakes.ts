/**
 * In-memory stand-ins for the ports around the polling cycle, for unit tests of plugin/fetch.
 * The integration tests run the same cycle against real Dovecot, the OAuth server and databases.
 */
import { createHash } from 'node:crypto';
import { PluginError } from '../../../plugin/errors';
import type { AccessTokenGrant, AccessTokenProvider } from '../../../plugin/oauth/access-token-provider';
import type {
  AccountRepository,
  AccountStatusChange,
  MailAccount,
  MailAccountInput,
  PollOutcome,
} from '../../../plugin/ports/account-repository';
import type { EventLog, PluginEvent } from '../../../plugin/ports/event-log';
import type { InboundMessage, IngestResult } from '../../../plugin/ports/host';
import type {
  FolderState,
  MailConnectionOptions,
  MailFetcher,
  MailSession,
  MessageSummary,
} from '../../../plugin/ports/mail-fetcher';
import type {
  Delivery,
  DeliveryRecord,
  DeliveryState,
  MailCursor,
  MailLedger,
  MessageKeyRule,
  MessageLocation,
} from '../../../plugin/ports/mail-ledger';

export { CapturingLogger as MemoryLogger } from '../../helpers/capturing-logger';
export { MemoryNotify as FakeNotify } from '../../helpers/memory-notify';

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public value = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.value;
  }
  advance(ms: number): void {
    this.value += ms;
  }
}

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

/** A fake mail server: mailboxes by user, tokens it accepts. */
export class FakeMailServer implements MailFetcher {
  readonly mailboxes = new Map<string, Map<string, FakeFolder>>();
  readonly acceptedTokens = new Set<string>();
  readonly faults: FakeServerFaults = {};
  connects = 0;
  listCalls = 0;
  openSessions = 0;
  maxOpenSessions = 0;
  readonly connectLog: { user: string; accessToken: string }[] = [];

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
    this.connectLog.push({ user: options.user, accessToken: options.accessToken });
    await Promise.resolve();
    if (signal?.aborted) throw new PluginError('ERR_TIMEOUT', 'aborted');
    const fault = this.faults.connect?.(options);
    if (fault) throw fault;
    if (!this.acceptedTokens.has(options.accessToken))
      throw new PluginError('ERR_MAIL_AUTH_FAILED', 'connect: AUTHENTICATE failed');
    const session = new FakeSession(this, options.user, signal);
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
    private readonly server: FakeMailServer,
    private readonly user: string,
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
    await new Promise((resolve) => setImmediate(resolve));
    const delay = this.server.faults.downloadDelayMs?.(uid) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.check();
    const fault = this.server.faults.download?.(uid, this);
    if (fault) throw fault;
    return this.requireOpen().messages.get(uid)?.raw ?? null;
  }

  async markSeen(uid: number): Promise<void> {
    this.check();
    const fault = this.server.faults.markSeen?.(uid);
    if (fault) throw fault;
    const msg = this.requireOpen().messages.get(uid);
    if (msg) msg.seen = true;
  }

  async move(uid: number, folder: string): Promise<void> {
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

/** A token provider handing out `token-<n>`; a forced refresh makes the next one. */
export class FakeTokens implements AccessTokenProvider {
  generation = 1;
  refreshes = 0;
  calls: { accountId: string; forceRefresh: boolean }[] = [];
  failure: PluginError | null = null;
  /** Whether the fake server accepts each newly refreshed token. */
  autoAccept = true;

  constructor(private readonly server: FakeMailServer) {
    server.acceptedTokens.add(this.current());
  }

  current(): string {
    return `token-${this.generation}`;
  }

  async getAccessToken(accountId: string, options?: { readonly forceRefresh?: boolean }): Promise<AccessTokenGrant> {
    this.calls.push({ accountId, forceRefresh: options?.forceRefresh ?? false });
    if (this.failure) throw this.failure;
    if (options?.forceRefresh) {
      this.generation += 1;
      this.refreshes += 1;
      if (this.autoAccept) this.server.acceptedTokens.add(this.current());
    }
    return { accessToken: this.current(), expiresAt: Date.now() + 3600_000 };
  }
}

/** A host mail pipeline that dedupes by key, like the reference host's ticket store. */
export class FakeHostMail {
  readonly tickets = new Map<string, { id: string; raw: Buffer; accountId: string }>();
  calls = 0;
  reject: ((message: InboundMessage) => Error | null) | null = null;

  async ingest(message: InboundMessage): Promise<IngestResult> {
    this.calls += 1;
    const rejection = this.reject?.(message);
    if (rejection) throw rejection;
    const existing = this.tickets.get(message.dedupeKey);
    if (existing) return { ticketId: existing.id, duplicate: true };
    const id = String(this.tickets.size + 1);
    this.tickets.set(message.dedupeKey, { id, raw: message.raw, accountId: message.accountId });
    return { ticketId: id, duplicate: false };
  }
}

/** An append-only event list. */
export class FakeEvents implements EventLog {
  readonly events: Omit<PluginEvent, 'id'>[] = [];
  async record(event: Omit<PluginEvent, 'id'>): Promise<void> {
    this.events.push(event);
  }
  async list(filter: { readonly accountId?: string; readonly limit: number }): Promise<PluginEvent[]> {
    return this.events
      .filter((e) => !filter.accountId || e.accountId === filter.accountId)
      .slice(-filter.limit)
      .reverse()
      .map((e, i) => ({ ...e, id: String(i) }));
  }
}

/** An account repository in memory, with the atomic lease of the real one. */
export class FakeAccounts implements AccountRepository {
  readonly rows = new Map<string, MailAccount & { leaseOwner: string | null; leaseUntil: number }>();
  private nextId = 1;

  constructor(private readonly clock: { now(): number }) {}

  async create(input: MailAccountInput): Promise<MailAccount> {
    const id = String(this.nextId++);
    const now = this.clock.now();
    const account: MailAccount = {
      id,
      appId: input.appId,
      mailbox: input.mailbox,
      authMode: 'delegated',
      protocol: 'imap',
      host: input.host,
      port: input.port,
      tls: input.tls,
      folder: input.folder ?? 'INBOX',
      initialSync: input.initialSync ?? 'all',
      postFetch: input.postFetch ?? 'mark_seen',
      pollIntervalSeconds: input.pollIntervalSeconds ?? 60,
      sharedViaDelegate: false,
      enabled: input.enabled ?? true,
      status: 'connected',
      statusCode: null,
      statusDetail: null,
      authorizedIdentity: input.mailbox,
      lastPollAt: null,
      lastSuccessAt: null,
      nextPollAt: null,
      failureCount: 0,
      messagesFetched: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(id, { ...account, leaseOwner: null, leaseUntil: 0 });
    return account;
  }
  async update(id: string, input: MailAccountInput): Promise<MailAccount> {
    const row = this.must(id);
    this.rows.set(id, { ...row, ...input } as typeof row);
    return this.strip(this.must(id));
  }
  async find(id: string): Promise<MailAccount | null> {
    const row = this.rows.get(id);
    return row ? this.strip(row) : null;
  }
  async list(): Promise<MailAccount[]> {
    return [...this.rows.values()].map((row) => this.strip(row));
  }
  async remove(id: string): Promise<void> {
    this.rows.delete(id);
  }
  async setStatus(id: string, change: AccountStatusChange): Promise<MailAccount> {
    const row = this.must(id);
    this.rows.set(id, {
      ...row,
      status: change.status,
      statusCode: change.statusCode ?? null,
      statusDetail: change.statusDetail ?? null,
    });
    return this.strip(this.must(id));
  }
  async recordPoll(id: string, outcome: PollOutcome): Promise<void> {
    const row = this.must(id);
    this.rows.set(id, {
      ...row,
      lastPollAt: outcome.at,
      nextPollAt: outcome.nextPollAt,
      lastSuccessAt: outcome.succeeded ? outcome.at : row.lastSuccessAt,
      failureCount: outcome.succeeded ? 0 : row.failureCount + 1,
      messagesFetched: row.messagesFetched + outcome.fetched,
    });
  }
  async listDue(now: number, limit: number): Promise<MailAccount[]> {
    return [...this.rows.values()]
      .filter((row) => row.enabled && (row.nextPollAt === null || row.nextPollAt <= now))
      .slice(0, limit)
      .map((row) => this.strip(row));
  }
  async acquireLease(id: string, owner: string, until: number, now: number): Promise<boolean> {
    const row = this.must(id);
    if (row.leaseOwner !== null && row.leaseOwner !== owner && row.leaseUntil >= now) return false;
    this.rows.set(id, { ...row, leaseOwner: owner, leaseUntil: until });
    return true;
  }
  async releaseLease(id: string, owner: string): Promise<void> {
    const row = this.rows.get(id);
    if (row && row.leaseOwner === owner) this.rows.set(id, { ...row, leaseOwner: null, leaseUntil: 0 });
  }
  private must(id: string) {
    const row = this.rows.get(id);
    if (!row) throw new PluginError('ERR_NOT_FOUND');
    return row;
  }
  private strip(row: MailAccount & { leaseOwner: string | null; leaseUntil: number }): MailAccount {
    const { leaseOwner: _owner, leaseUntil: _until, ...account } = row;
    return account;
  }
}

/** The ledger in memory; the knex one passes the same contract (test/integration/fetch/mail-ledger.test.ts). */
export class MemoryMailLedger implements MailLedger {
  readonly cursors = new Map<string, MailCursor>();
  readonly deliveries: Delivery[] = [];
  /** Throws once from recordDelivery (a crash between ingest and the ledger write). */
  failNextRecord: Error | null = null;
  private nextId = 1;

  constructor(private readonly clock: { now(): number }) {}

  async getCursor(accountId: string, folder: string): Promise<MailCursor | null> {
    return this.cursors.get(`${accountId}/${folder}`) ?? null;
  }
  async setCursor(cursor: Omit<MailCursor, 'updatedAt'>): Promise<void> {
    this.cursors.set(`${cursor.accountId}/${cursor.folder}`, { ...cursor, updatedAt: this.clock.now() });
  }
  async advanceCursor(location: MessageLocation): Promise<boolean> {
    const key = `${location.accountId}/${location.folder}`;
    const cursor = this.cursors.get(key);
    if (!cursor || cursor.uidValidity !== location.uidValidity) return false;
    if (cursor.lastUid < location.uid)
      this.cursors.set(key, { ...cursor, lastUid: location.uid, updatedAt: this.clock.now() });
    return true;
  }
  async findDelivery(location: MessageLocation): Promise<Delivery | null> {
    return this.deliveries.find((d) => sameLocation(d, location)) ?? null;
  }
  async listDeliveries(query: {
    accountId: string;
    folder: string;
    uidValidity: string;
    fromUid?: number;
    states?: readonly DeliveryState[];
  }): Promise<Delivery[]> {
    return this.deliveries
      .filter(
        (d) => d.accountId === query.accountId && d.folder === query.folder && d.uidValidity === query.uidValidity,
      )
      .filter((d) => query.fromUid === undefined || d.uid >= query.fromUid)
      .filter((d) => query.states === undefined || query.states.includes(d.state))
      .sort((a, b) => a.uid - b.uid);
  }
  async findIngestedByMessageKey(accountId: string, messageKey: string): Promise<Delivery | null> {
    return this.findIngested(accountId, messageKey, 'content', -Infinity);
  }
  async findIngestedByLegacyKey(accountId: string, legacyKey: string, receivedAt: number): Promise<Delivery | null> {
    return this.findIngested(accountId, legacyKey, 'legacy', receivedAt);
  }
  private findIngested(accountId: string, key: string, rule: MessageKeyRule, after: number): Delivery | null {
    return (
      this.deliveries.find(
        (d) =>
          d.accountId === accountId &&
          d.messageKey === key &&
          d.messageKeyRule === rule &&
          d.createdAt > after &&
          (d.state === 'ingested' || d.state === 'post_action_done') &&
          d.ticketId !== null,
      ) ?? null
    );
  }
  async recordDelivery(
    record: DeliveryRecord,
    options: { advanceCursor: boolean; countAttempt: boolean },
  ): Promise<Delivery> {
    if (this.failNextRecord) {
      const error = this.failNextRecord;
      this.failNextRecord = null;
      throw error;
    }
    const now = this.clock.now();
    const index = this.deliveries.findIndex((d) => sameLocation(d, record));
    const existing = index >= 0 ? this.deliveries[index] : null;
    const row: Delivery = {
      id: existing?.id ?? String(this.nextId++),
      accountId: record.accountId,
      folder: record.folder,
      uidValidity: record.uidValidity,
      uid: record.uid,
      messageKey: record.messageKey,
      messageKeyRule: 'content',
      dedupeKey: record.dedupeKey,
      size: record.size,
      state: record.state,
      ticketId: record.ticketId ?? existing?.ticketId ?? null,
      lastError: record.lastError === undefined ? (existing?.lastError ?? null) : record.lastError,
      attempts: (existing?.attempts ?? 0) + (options.countAttempt ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (existing) this.deliveries[index] = row;
    else this.deliveries.push(row);
    if (options.advanceCursor) await this.advanceCursor(record);
    return row;
  }
  async markPostActionDone(deliveryId: string): Promise<void> {
    const index = this.deliveries.findIndex((d) => d.id === deliveryId && d.state === 'ingested');
    if (index >= 0)
      this.deliveries[index] = { ...this.deliveries[index], state: 'post_action_done', updatedAt: this.clock.now() };
  }
}

function sameLocation(a: MessageLocation, b: MessageLocation): boolean {
  return a.accountId === b.accountId && a.folder === b.folder && a.uidValidity === b.uidValidity && a.uid === b.uid;
}

/** A small RFC 5322 message with a unique Message-ID. */
export function mail(n: number, extra = ''): Buffer {
  return Buffer.from(
    `Message-ID: <m${n}@example.test>\r\nDate: Thu, 1 Jan 2026 00:00:${String(n % 60).padStart(2, '0')} +0000\r\nFrom: a@example.test\r\nTo: b@example.test\r\nSubject: message ${n}\r\n\r\nBody ${n}${extra}\r\n`,
  );
}

/** sha256 hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
