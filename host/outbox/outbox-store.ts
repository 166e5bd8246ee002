/**
 * `host_outbox`: commit, list, and the lease a worker holds while it sends one row. Every change of a row a worker
 * leased is one conditional UPDATE naming the lease (owner and attempt number), so two processes never both own a
 * row and a worker that lost its lease cannot overwrite the outcome of the next attempt (docs/architecture.md#outbox).
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import { isUniqueViolation, toMillis } from '../db-errors';
import type { OutboxDraft, OutboxEntry, OutboxState } from './outbox-entry';
import { newMessageId } from './message-id';

const TABLE = 'host_outbox';

/** A row a worker may claim: just enough to choose (the transport must be registered) and to claim it. */
export interface OutboxCandidate {
  readonly id: string;
  readonly pluginId: string;
  readonly transportId: string;
  readonly state: OutboxState;
  readonly leaseOwner: string | null;
}

/** How a row is claimed: due in `queued`, `sending` with a lapsed lease, or `sending` leased by a dead process. */
export type ClaimFrom =
  { readonly kind: 'due' } | { readonly kind: 'lapsed' } | { readonly kind: 'dead-owner'; readonly owner: string };

/** The lease a worker holds on one row during one attempt. */
export interface OutboxLease {
  readonly id: string;
  readonly owner: string;
  /** The attempt number the lease was taken for (the row's `attempts` after the claim). */
  readonly attempt: number;
}

/** What a failed attempt left. */
export interface AttemptError {
  readonly code: string;
  readonly message: string;
}

/** What the server said about a sent message. */
export interface SentOutcome {
  readonly response: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
}

/** Options of {@link OutboxStore.list}. */
export interface OutboxListOptions {
  readonly limit?: number;
  readonly offset?: number;
  readonly state?: OutboxState;
}

type Row = Record<string, unknown>;

function stringList(value: unknown): string[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function nullableMillis(value: unknown): number | null {
  return value === null || value === undefined ? null : toMillis(value);
}

function toEntry(row: Row): OutboxEntry {
  return {
    id: String(row.id),
    ticketId: nullableString(row.ticket_id),
    pluginId: String(row.plugin_id),
    transportId: String(row.transport_id),
    accountId: String(row.account_id),
    messageId: String(row.message_id),
    from: String(row.from_address),
    to: stringList(row.to_addresses),
    cc: stringList(row.cc_addresses),
    bcc: stringList(row.bcc_addresses),
    subject: nullableString(row.subject),
    text: String(row.body_text ?? ''),
    inReplyTo: nullableString(row.in_reply_to),
    references: stringList(row.thread_references),
    authorId: nullableString(row.author_id),
    state: String(row.state) as OutboxState,
    attempts: Number(row.attempts),
    nextAttemptAt: nullableMillis(row.next_attempt_at),
    leaseOwner: nullableString(row.lease_owner),
    leaseUntil: nullableMillis(row.lease_until),
    lastErrorCode: nullableString(row.last_error_code),
    lastErrorMessage: nullableString(row.last_error_message),
    response: nullableString(row.response),
    accepted: stringList(row.accepted),
    rejected: stringList(row.rejected),
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
    sentAt: nullableMillis(row.sent_at),
  };
}

function idKey(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

/** The outbox table. */
export class OutboxStore {
  /**
   * @param knex - the host database (host migrations applied)
   * @param now - clock, epoch ms
   * @param random - random bytes for Message-IDs (tests)
   */
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
    private readonly random: (size: number) => Buffer = randomBytes,
  ) {}

  /**
   * Commits one message: from here on it is not lost. Queued and due at once; or, with `lease`, already leased to
   * that worker for its first attempt (the console sends at once without a running helpdesk taking it first).
   * @param draft - the message and the way out
   * @param lease - the worker that makes the first attempt right away, and until when
   */
  async commit(draft: OutboxDraft, lease?: { readonly owner: string; readonly until: number }): Promise<OutboxEntry> {
    const now = this.now();
    const row = {
      ticket_id: draft.ticketId ? Number(draft.ticketId) : null,
      plugin_id: draft.pluginId,
      transport_id: draft.transportId,
      account_id: draft.accountId,
      from_address: draft.from,
      to_addresses: JSON.stringify([...draft.to]),
      cc_addresses: JSON.stringify([...(draft.cc ?? [])]),
      bcc_addresses: JSON.stringify([...(draft.bcc ?? [])]),
      subject: draft.subject ?? null,
      body_text: draft.text,
      in_reply_to: draft.inReplyTo ?? null,
      thread_references: JSON.stringify([...(draft.references ?? [])]),
      author_id: draft.authorId ? Number(draft.authorId) : null,
      state: lease ? 'sending' : 'queued',
      attempts: lease ? 1 : 0,
      next_attempt_at: now,
      lease_owner: lease?.owner ?? null,
      lease_until: lease?.until ?? null,
      created_at: now,
      updated_at: now,
    };
    for (let tries = 1; ; tries += 1) {
      const messageId = newMessageId(draft.from, this.random);
      try {
        const id = await insertReturningId(this.knex, TABLE, { ...row, message_id: messageId });
        const entry = await this.find(id);
        if (!entry) throw new Error(`outbox row ${id} vanished right after its commit`);
        return entry;
      } catch (error) {
        // 128 random bits do not collide; a second try only guards against a broken random source.
        if (!isUniqueViolation(error) || tries >= 2) throw error;
      }
    }
  }

  /** One row, or null. */
  async find(id: string): Promise<OutboxEntry | null> {
    const key = idKey(id);
    if (key === null) return null;
    const row: Row | undefined = await this.knex(TABLE).where({ id: key }).first();
    return row ? toEntry(row) : null;
  }

  /** Newest first. */
  async list(options: OutboxListOptions = {}): Promise<OutboxEntry[]> {
    const query = this.knex(TABLE)
      .select('*')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0);
    if (options.state) query.where({ state: options.state });
    const rows: Row[] = await query;
    return rows.map(toEntry);
  }

  /** The messages of one ticket, oldest first. */
  async listForTicket(ticketId: string): Promise<OutboxEntry[]> {
    const key = idKey(ticketId);
    if (key === null) return [];
    const rows: Row[] = await this.knex(TABLE).select('*').where({ ticket_id: key }).orderBy('id', 'asc');
    return rows.map(toEntry);
  }

  /**
   * Rows a worker may claim now: queued, due and meant for one of `transports` (a row whose transport is not
   * registered waits), or sending with a lapsed lease (whatever its transport); the longest waiting first.
   * @param now - epoch ms
   * @param limit - at most this many
   * @param transports - the transports registered in the claiming process
   */
  async claimable(
    now: number,
    limit: number,
    transports: ReadonlyArray<{ readonly pluginId: string; readonly transportId: string }>,
  ): Promise<OutboxCandidate[]> {
    const rows: Row[] = await this.knex(TABLE)
      .select('id', 'plugin_id', 'transport_id', 'state', 'lease_owner')
      .where((q) => {
        if (transports.length > 0)
          q.where((due) =>
            due
              .where({ state: 'queued' })
              .andWhere('next_attempt_at', '<=', now)
              .andWhere((way) => {
                for (const t of transports) way.orWhere({ plugin_id: t.pluginId, transport_id: t.transportId });
              }),
          );
        q.orWhere((lapsed) => lapsed.where({ state: 'sending' }).andWhere('lease_until', '<', now));
      })
      .orderBy('next_attempt_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(toCandidate);
  }

  /**
   * Rows being sent right now, under any lease (the worker checks whether their owners on this host still run;
   * there are only as many as attempts in flight).
   * @param limit - at most this many
   */
  async sending(limit: number): Promise<OutboxCandidate[]> {
    const rows: Row[] = await this.knex(TABLE)
      .select('id', 'plugin_id', 'transport_id', 'state', 'lease_owner')
      .where({ state: 'sending' })
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(toCandidate);
  }

  /**
   * Takes the lease of one row with one conditional UPDATE and counts the attempt. Of several workers claiming the
   * same row at once exactly one gets it.
   * @param id - the row
   * @param owner - the claiming worker
   * @param until - epoch ms until which the lease holds
   * @param from - the state the row must still be in
   * @returns the row as claimed, or null when another worker was first or the row is no longer claimable
   */
  async claim(id: string, owner: string, until: number, from: ClaimFrom): Promise<OutboxEntry | null> {
    const key = idKey(id);
    if (key === null) return null;
    const now = this.now();
    const query = this.knex(TABLE).where({ id: key });
    if (from.kind === 'due') query.andWhere({ state: 'queued' }).andWhere('next_attempt_at', '<=', now);
    else if (from.kind === 'lapsed') query.andWhere({ state: 'sending' }).andWhere('lease_until', '<', now);
    else query.andWhere({ state: 'sending', lease_owner: from.owner });
    const updated = await query.update({
      state: 'sending',
      lease_owner: owner,
      lease_until: until,
      attempts: this.knex.raw('attempts + 1'),
      updated_at: now,
    });
    if (updated !== 1) return null;
    const entry = await this.find(id);
    return entry && entry.leaseOwner === owner && entry.state === 'sending' ? entry : null;
  }

  /**
   * Extends a lease the worker still holds.
   * @returns false when the lease was lost (it lapsed and another worker took the row)
   */
  async renew(lease: OutboxLease, until: number): Promise<boolean> {
    return (await this.leased(lease).update({ lease_until: until, updated_at: this.now() })) === 1;
  }

  /**
   * The attempt succeeded: `sent`, with the server's answer.
   * @returns false when the lease was lost before (the outcome is not recorded)
   */
  async markSent(lease: OutboxLease, outcome: SentOutcome): Promise<boolean> {
    const now = this.now();
    const updated = await this.leased(lease).update({
      state: 'sent',
      next_attempt_at: null,
      lease_owner: null,
      lease_until: null,
      response: outcome.response,
      accepted: JSON.stringify([...outcome.accepted]),
      rejected: JSON.stringify([...outcome.rejected]),
      last_error_code: null,
      last_error_message: null,
      sent_at: now,
      updated_at: now,
    });
    return updated === 1;
  }

  /**
   * The attempt failed and is tried again at `nextAttemptAt`: back to `queued`, with the error.
   * @returns false when the lease was lost before
   */
  async markRetry(lease: OutboxLease, error: AttemptError, nextAttemptAt: number): Promise<boolean> {
    const updated = await this.leased(lease).update({
      state: 'queued',
      next_attempt_at: nextAttemptAt,
      lease_owner: null,
      lease_until: null,
      last_error_code: error.code,
      last_error_message: error.message,
      updated_at: this.now(),
    });
    return updated === 1;
  }

  /**
   * The attempt failed for good: `failed`, with the error.
   * @returns false when the lease was lost before
   */
  async markFailed(lease: OutboxLease, error: AttemptError): Promise<boolean> {
    const updated = await this.leased(lease).update({
      state: 'failed',
      next_attempt_at: null,
      lease_owner: null,
      lease_until: null,
      last_error_code: error.code,
      last_error_message: error.message,
      updated_at: this.now(),
    });
    return updated === 1;
  }

  /**
   * Gives a row back unsent, the attempt not counted (its transport is not registered right now): `queued`, due at
   * `nextAttemptAt`.
   * @returns false when the lease was lost before
   */
  async release(lease: OutboxLease, nextAttemptAt: number): Promise<boolean> {
    const updated = await this.leased(lease).update({
      state: 'queued',
      attempts: this.knex.raw('attempts - 1'),
      next_attempt_at: nextAttemptAt,
      lease_owner: null,
      lease_until: null,
      updated_at: this.now(),
    });
    return updated === 1;
  }

  /** Rows per state. */
  async countByState(): Promise<Record<OutboxState, number>> {
    const rows: Array<{ state: string; n: number | string }> = await this.knex(TABLE)
      .select('state')
      .count({ n: '*' })
      .groupBy('state');
    const counts: Record<OutboxState, number> = { queued: 0, sending: 0, sent: 0, failed: 0 };
    for (const row of rows) if (row.state in counts) counts[row.state as OutboxState] = Number(row.n);
    return counts;
  }

  /** The row of a lease, while that lease still holds it. */
  private leased(lease: OutboxLease): Knex.QueryBuilder {
    return this.knex(TABLE).where({
      id: Number(lease.id),
      state: 'sending',
      lease_owner: lease.owner,
      attempts: lease.attempt,
    });
  }
}

function toCandidate(row: Row): OutboxCandidate {
  return {
    id: String(row.id),
    pluginId: String(row.plugin_id),
    transportId: String(row.transport_id),
    state: String(row.state) as OutboxState,
    leaseOwner: nullableString(row.lease_owner),
  };
}
