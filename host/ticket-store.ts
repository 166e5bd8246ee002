/**
 * The host's mail pipeline end: every ingested message becomes one row of `host_tickets`.
 * Ingest is idempotent on `dedupeKey`, also when two processes ingest the same key at once: the
 * UNIQUE index decides, and the loser re-reads the winner's ticket.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { simpleParser } from 'mailparser';
import { PluginError } from '../plugin/index';
import type { InboundMessage, IngestResult } from '../plugin/index';
import { isUniqueViolation, toMillis } from './db-errors';
import { insertReturningId } from '../lib/sql/insert-returning-id';

/** A ticket as listed (without the raw bytes). */
export interface Ticket {
  readonly id: string;
  readonly accountId: string;
  readonly sourceId: string;
  readonly dedupeKey: string;
  readonly messageId: string | null;
  readonly subject: string | null;
  readonly from: string | null;
  readonly size: number;
  readonly sha256: string;
  readonly receivedAt: number;
  readonly createdAt: number;
}

/** Headers read from a message; every field may be missing. */
interface ParsedHeaders {
  readonly messageId: string | null;
  readonly subject: string | null;
  readonly from: string | null;
}

const LIST_COLUMNS = [
  'id',
  'account_id',
  'source_id',
  'dedupe_key',
  'message_id',
  'subject',
  'from_address',
  'size',
  'sha256',
  'received_at',
  'created_at',
];

/** Where the header block ends (the first empty line), or the whole message when there is none. */
function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((at) => at >= 0);
  return ends.length > 0 ? raw.subarray(0, Math.min(...ends)) : raw;
}

/**
 * Reads Message-ID, Subject and From. Only the header block is parsed, so a 40 MB attachment costs
 * nothing here; malformed headers give nulls, never an error.
 */
async function parseHeaders(raw: Buffer): Promise<ParsedHeaders> {
  try {
    const parsed = await simpleParser(Buffer.concat([headerBlock(raw), Buffer.from('\r\n\r\n')]), {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
    });
    return {
      messageId: typeof parsed.messageId === 'string' ? parsed.messageId : null,
      subject: typeof parsed.subject === 'string' ? parsed.subject : null,
      from: parsed.from?.text ? parsed.from.text : null,
    };
  } catch {
    return { messageId: null, subject: null, from: null };
  }
}

function toTicket(row: Record<string, unknown>): Ticket {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    sourceId: String(row.source_id),
    dedupeKey: String(row.dedupe_key),
    messageId: (row.message_id as string | null) ?? null,
    subject: (row.subject as string | null) ?? null,
    from: (row.from_address as string | null) ?? null,
    size: Number(row.size),
    sha256: String(row.sha256),
    receivedAt: toMillis(row.received_at),
    createdAt: toMillis(row.created_at),
  };
}

/** @throws PluginError ERR_INPUT_INVALID when the message has no key or no bytes buffer */
function checkMessage(message: InboundMessage): void {
  if (typeof message.dedupeKey !== 'string' || message.dedupeKey.length === 0 || message.dedupeKey.length > 255) {
    throw new PluginError('ERR_INPUT_INVALID', 'dedupeKey must be a non-empty string of at most 255 characters');
  }
  if (!Buffer.isBuffer(message.raw)) throw new PluginError('ERR_INPUT_INVALID', 'raw must be a Buffer');
}

/** `host_tickets`: ingest (idempotent) and listing. */
export class TicketStore {
  /**
   * @param knex - the host database (host migrations applied)
   * @param now - clock, epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates one ticket for the message, or returns the ticket already created for its `dedupeKey`.
   * @throws PluginError ERR_INPUT_INVALID when the message has no key or no bytes buffer
   */
  async ingest(message: InboundMessage): Promise<IngestResult> {
    checkMessage(message);
    const existing = await this.findIdByKey(message.dedupeKey);
    if (existing !== null) return { ticketId: existing, duplicate: true };
    const row = await this.row(message);
    try {
      const id = await insertReturningId(this.knex, 'host_tickets', row);
      return { ticketId: String(id), duplicate: false };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.findIdByKey(message.dedupeKey);
      if (winner === null) throw error;
      return { ticketId: winner, duplicate: true };
    }
  }

  /**
   * {@link ingest} for several messages in ONE transaction (one commit for the batch), idempotent per `dedupeKey`;
   * the results in the order given. A key another process inserts meanwhile rolls the batch back, and the batch is
   * then ingested one message at a time (each idempotent).
   * @throws PluginError ERR_INPUT_INVALID when a message has no key or no bytes buffer (nothing is written)
   */
  async ingestMany(messages: readonly InboundMessage[]): Promise<IngestResult[]> {
    messages.forEach(checkMessage);
    if (messages.length === 0) return [];
    const rows = await Promise.all(messages.map((message) => this.row(message)));
    try {
      return await this.knex.transaction(async (trx) => {
        const made = new Map<string, string>();
        const keys = [...new Set(messages.map((message) => message.dedupeKey))];
        const found = (await trx('host_tickets').select('id', 'dedupe_key').whereIn('dedupe_key', keys)) as Array<{
          id: number | string;
          dedupe_key: string;
        }>;
        for (const row of found) made.set(row.dedupe_key, String(row.id));
        const results: IngestResult[] = [];
        for (const [index, message] of messages.entries()) {
          const existing = made.get(message.dedupeKey);
          if (existing !== undefined) {
            results.push({ ticketId: existing, duplicate: true });
            continue;
          }
          const id = String(await insertReturningId(trx, 'host_tickets', rows[index]!));
          made.set(message.dedupeKey, id);
          results.push({ ticketId: id, duplicate: false });
        }
        return results;
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const results: IngestResult[] = [];
      for (const message of messages) results.push(await this.ingest(message));
      return results;
    }
  }

  /** The row a new ticket of this message gets. */
  private async row(message: InboundMessage): Promise<Record<string, unknown>> {
    const headers = await parseHeaders(message.raw);
    const receivedAt =
      message.receivedAt instanceof Date && !Number.isNaN(message.receivedAt.getTime())
        ? message.receivedAt.getTime()
        : this.now();
    return {
      account_id: message.accountId,
      dedupe_key: message.dedupeKey,
      source_id: message.sourceId,
      message_id: headers.messageId,
      subject: headers.subject,
      from_address: headers.from,
      size: message.raw.length,
      sha256: createHash('sha256').update(message.raw).digest('hex'),
      raw: message.raw,
      received_at: receivedAt,
      created_at: this.now(),
    };
  }

  /** Newest first. */
  async list(
    options: { readonly limit?: number; readonly offset?: number; readonly accountId?: string } = {},
  ): Promise<Ticket[]> {
    const query = this.knex('host_tickets')
      .select(LIST_COLUMNS)
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0);
    if (options.accountId !== undefined) query.where({ account_id: options.accountId });
    const rows: Record<string, unknown>[] = await query;
    return rows.map(toTicket);
  }

  /** One ticket, or null. */
  async find(id: string): Promise<Ticket | null> {
    const row: Record<string, unknown> | undefined = await this.knex('host_tickets')
      .select(LIST_COLUMNS)
      .where({ id: Number(id) })
      .first();
    return row ? toTicket(row) : null;
  }

  /** The raw bytes of a ticket's message, or null. */
  async raw(id: string): Promise<Buffer | null> {
    const row: { raw: Buffer | Uint8Array } | undefined = await this.knex('host_tickets')
      .select('raw')
      .where({ id: Number(id) })
      .first();
    return row ? Buffer.from(row.raw) : null;
  }

  /** Number of tickets. */
  async count(): Promise<number> {
    const row: { n?: number | string } | undefined = await this.knex('host_tickets').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  private async findIdByKey(dedupeKey: string): Promise<string | null> {
    const row: { id: number | string } | undefined = await this.knex('host_tickets')
      .select('id')
      .where({ dedupe_key: dedupeKey })
      .first();
    return row ? String(row.id) : null;
  }
}
