/** One authenticated IMAP session over an imapflow client (plugin/ports/mail-fetcher.ts `MailSession`). */
import type { ImapFlow, FetchMessageObject } from 'imapflow';
import { PluginError } from '../../plugin/errors';
import type { FolderState, MailSession, MessageSummary } from '../../plugin/ports/mail-fetcher';
import { mapImapError } from './imap-error-mapper';
import { boundBySilence, ServerSilentError } from './silence-watchdog';

/** How long a polite LOGOUT may take before the socket is simply closed. */
const LOGOUT_GRACE_MS = 3000;

/** A MailSession over one connected imapflow client. Built by {@link ImapFlowMailFetcher}. */
export class ImapFlowMailSession implements MailSession {
  private closed = false;

  /**
   * @param client - a connected, authenticated client with an 'error' listener attached
   * @param mechanism - the SASL mechanism the login used
   * @param secrets - strings to scrub from error messages (the access token)
   * @param commandTimeoutMs - how long the server may stay silent while a command waits
   */
  constructor(
    private readonly client: ImapFlow,
    readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER',
    private readonly secrets: readonly string[],
    private readonly commandTimeoutMs: number,
  ) {}

  /** @inheritdoc */
  async listFolders(): Promise<string[]> {
    const folders = await this.call('list folders', () => this.client.list());
    return folders.map((folder) => folder.path);
  }

  /** @inheritdoc */
  async openFolder(path: string): Promise<FolderState> {
    const box = await this.call(`open folder ${path}`, () => this.client.mailboxOpen(path));
    return { path: box.path, uidValidity: box.uidValidity.toString(), uidNext: box.uidNext, exists: box.exists };
  }

  /** @inheritdoc */
  async listMessages(query: {
    readonly fromUid: number;
    readonly unseenOnly?: boolean;
    readonly limit?: number;
  }): Promise<MessageSummary[]> {
    const box = this.client.mailbox;
    if (!box) throw new PluginError('ERR_INTERNAL', 'list messages: no folder is open');
    const fromUid = Math.max(1, Math.floor(query.fromUid));
    if (box.exists === 0 || fromUid >= box.uidNext) return [];
    let range: string | number[] = `${fromUid}:*`;
    if (query.unseenOnly || query.limit !== undefined) {
      // UID SEARCH answers with numbers only: cheap even for a large folder, and it lets a batch ask for just its UIDs.
      const search = query.unseenOnly ? { seen: false, uid: `${fromUid}:*` } : { uid: `${fromUid}:*` };
      const found = await this.call('search messages', () => this.client.search(search, { uid: true }));
      // "N:*" always matches the highest UID, even below N (RFC 3501 §6.4.8).
      const uids = (Array.isArray(found) ? found : []).filter((uid) => uid >= fromUid).sort((a, b) => a - b);
      range = query.limit !== undefined ? uids.slice(0, Math.max(0, query.limit)) : uids;
      if (range.length === 0) return [];
    }
    const summaries: MessageSummary[] = [];
    await this.call('list messages', async () => {
      // No other command may run inside this loop: imapflow streams the FETCH responses through it.
      for await (const msg of this.client.fetch(
        range,
        { uid: true, size: true, flags: true, internalDate: true },
        { uid: true },
      )) {
        if (msg.uid >= fromUid) summaries.push(toSummary(msg));
      }
    });
    return summaries.sort((a, b) => a.uid - b.uid);
  }

  /** @inheritdoc */
  async download(uid: number): Promise<Buffer | null> {
    // BODY.PEEK[] via `source`: the exact bytes, and fetching does not set \Seen (the post-fetch action decides that).
    const msg = await this.call(`download UID ${uid}`, () =>
      this.client.fetchOne(String(uid), { uid: true, source: true }, { uid: true }),
    );
    if (!msg) return null;
    return msg.source ?? Buffer.alloc(0);
  }

  /** @inheritdoc */
  async downloadMany(uids: readonly number[]): Promise<Map<number, Buffer>> {
    const sources = new Map<number, Buffer>();
    if (uids.length === 0) return sources;
    const wanted = new Set(uids);
    await this.call(`download ${uids.length} messages from UID ${uids[0]}`, async () => {
      // One UID FETCH BODY.PEEK[] for the whole group: the same bytes as download(), without \Seen. No other
      // command may run inside this loop (imapflow streams the responses through it).
      for await (const msg of this.client.fetch([...uids], { uid: true, source: true }, { uid: true })) {
        if (wanted.has(msg.uid)) sources.set(msg.uid, msg.source ?? Buffer.alloc(0));
      }
    });
    return sources;
  }

  /** @inheritdoc */
  async markSeen(uid: number): Promise<void> {
    const ok = await this.call(`mark UID ${uid} seen`, () =>
      this.client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true }),
    );
    this.checkOutcome(ok === true, `mark UID ${uid} seen`);
  }

  /** @inheritdoc */
  async move(uid: number, folder: string): Promise<void> {
    const result = await this.call(`move UID ${uid} to ${folder}`, () =>
      this.client.messageMove(String(uid), folder, { uid: true }),
    );
    this.checkOutcome(typeof result === 'object' && result !== null, `move UID ${uid} to ${folder}`);
  }

  /** @inheritdoc */
  async delete(uid: number): Promise<void> {
    const ok = await this.call(`delete UID ${uid}`, () => this.client.messageDelete(String(uid), { uid: true }));
    this.checkOutcome(ok === true, `delete UID ${uid}`);
  }

  /** @inheritdoc */
  async markSeenMany(uids: readonly number[]): Promise<void> {
    const operation = `mark ${uids.length} messages from UID ${uids[0]} seen`;
    const ok = await this.call(operation, () => this.client.messageFlagsAdd(uidSet(uids), ['\\Seen'], { uid: true }));
    this.checkOutcome(ok === true, operation);
  }

  /** @inheritdoc */
  async moveMany(uids: readonly number[], folder: string): Promise<void> {
    const operation = `move ${uids.length} messages from UID ${uids[0]} to ${folder}`;
    const result = await this.call(operation, () => this.client.messageMove(uidSet(uids), folder, { uid: true }));
    this.checkOutcome(typeof result === 'object' && result !== null, operation);
  }

  /** @inheritdoc */
  async deleteMany(uids: readonly number[]): Promise<void> {
    const operation = `delete ${uids.length} messages from UID ${uids[0]}`;
    // imapflow: STORE +FLAGS (\Deleted), then UID EXPUNGE of the same set when UIDPLUS is offered, else EXPUNGE.
    const ok = await this.call(operation, () => this.client.messageDelete(uidSet(uids), { uid: true }));
    this.checkOutcome(ok === true, operation);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.usable) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.logout().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, LOGOUT_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    try {
      this.client.close();
    } catch {
      // already closed
    }
  }

  /** Closes the socket at once (an abort): every command in flight rejects. */
  abort(): void {
    this.closed = true;
    try {
      this.client.close();
    } catch {
      // already closed
    }
  }

  // imapflow answers a refused STORE / MOVE / EXPUNGE with `false` instead of throwing; a dropped connection gives
  // the same `false`, so the two are told apart by whether the client is still usable
  // (docs/providers.md#imapflow-traps).
  private checkOutcome(ok: boolean, operation: string): void {
    if (ok) return;
    if (!this.client.usable) {
      throw mapImapError(Object.assign(new Error('Connection closed'), { code: 'NoConnection' }), {
        operation,
        secrets: this.secrets,
        byeReason: this.client.byeReason,
      });
    }
    throw new PluginError('ERR_MAIL_OPERATION_FAILED', `${operation}: the mail server refused it.`, { operation });
  }

  /** Every command of the session: bounded by the server's silence, its errors mapped. */
  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await boundBySilence(this.client, this.commandTimeoutMs, run);
    } catch (error) {
      if (error instanceof ServerSilentError) {
        this.closed = true;
        throw new PluginError(
          'ERR_TIMEOUT',
          `${operation}: ${error.message} The server may be stalled (fetch.commandTimeoutSeconds); ` +
            'the poll stopped and is tried again.',
          { operation, timeoutMs: error.timeoutMs },
        );
      }
      throw mapImapError(error, { operation, secrets: this.secrets, byeReason: this.client.byeReason });
    }
  }
}

/** An IMAP UID set in ranges ("3:7,9"): a batch of consecutive UIDs stays one short token on the wire. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function toSummary(msg: FetchMessageObject): MessageSummary {
  const date =
    msg.internalDate instanceof Date
      ? msg.internalDate
      : typeof msg.internalDate === 'string'
        ? new Date(msg.internalDate)
        : null;
  return {
    uid: msg.uid,
    size: msg.size ?? 0,
    internalDate: date && !Number.isNaN(date.getTime()) ? date : null,
    seen: msg.flags?.has('\\Seen') ?? false,
  };
}
