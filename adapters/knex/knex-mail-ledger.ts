import type { Knex } from 'knex';
import type { Clock } from '../../plugin/ports/clock';
import { systemClock } from '../../plugin/ports/clock';
import { PluginError } from '../../plugin/errors';
import type {
  Delivery,
  BatchDelivery,
  DeliveryBatch,
  DeliveryRecord,
  DeliveryState,
  DeliveryWriteOptions,
  IngestedLookup,
  MailCursor,
  MailLedger,
  MessageKeyRule,
  MessageLocation,
} from '../../plugin/ports/mail-ledger';
import { pop3Location } from '../../plugin/ports/mail-ledger';
import { withDatabaseErrors } from './database-errors';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import { parseId, TABLES, toNumber, type DbInteger } from './rows';

/** `oauth2_mail_cursors` row. */
interface CursorRow {
  readonly account_id: DbInteger;
  readonly folder: string;
  readonly uid_validity: string;
  readonly last_uid: DbInteger;
  readonly updated_at: DbInteger;
}

/** `oauth2_mail_deliveries` row. */
interface DeliveryRow {
  readonly id: DbInteger;
  readonly account_id: DbInteger;
  readonly folder: string;
  readonly uid_validity: string;
  readonly uid: DbInteger;
  readonly uidl: string;
  readonly message_key: string;
  readonly message_key_rule: string;
  readonly dedupe_key: string;
  readonly ticket_id: string | null;
  readonly state: string;
  readonly attempts: DbInteger;
  readonly last_error: string | null;
  readonly size: DbInteger;
  readonly created_at: DbInteger;
  readonly updated_at: DbInteger;
}

const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'ingested', 'post_action_done', 'skipped', 'quarantined'];
/** Every key this ledger writes is of the rule the fetch cycle computes now (plugin/fetch/message-key.ts). */
const CURRENT_KEY_RULE: MessageKeyRule = 'content';

/** States of a row whose message was handed to the host and counted in `messages_fetched`. */
const COUNTED_STATES: readonly DeliveryState[] = ['ingested', 'post_action_done'];
// last_error is TEXT, but a host's rejection text is not ours to store at any length.
export const MAX_ERROR_TEXT = 2000;
const IDS_PER_STATEMENT = 500;

function toCursor(row: CursorRow): MailCursor {
  return {
    accountId: String(row.account_id),
    folder: row.folder,
    uidValidity: String(row.uid_validity),
    lastUid: toNumber(row.last_uid),
    updatedAt: toNumber(row.updated_at),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  const state = DELIVERY_STATES.includes(row.state as DeliveryState) ? (row.state as DeliveryState) : 'pending';
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    folder: row.folder,
    uidValidity: String(row.uid_validity),
    uid: toNumber(row.uid),
    ...(row.uidl ? { uidl: row.uidl } : {}),
    messageKey: row.message_key.trim(),
    messageKeyRule: row.message_key_rule === 'content' ? 'content' : 'legacy',
    dedupeKey: row.dedupe_key,
    ticketId: row.ticket_id,
    state,
    attempts: toNumber(row.attempts),
    lastError: row.last_error,
    size: toNumber(row.size),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

/** The account key of a port-side id; an id that cannot exist matches no row (-1). */
function accountKey(accountId: string): number {
  return parseId(accountId) ?? -1;
}

/**
 * {@link MailLedger} on `oauth2_mail_cursors` and `oauth2_mail_deliveries`. The delivery row and the cursor
 * move in one transaction ({@link KnexMailLedger.recordDelivery}); the cursor only ever moves up.
 */
export class KnexMailLedger implements MailLedger {
  readonly #knex: Knex;
  readonly #clock: Clock;

  /** @param options - the host's knex (with the plugin migrations applied) and a clock */
  constructor(options: { readonly knex: Knex; readonly clock?: Clock }) {
    this.#knex = options.knex;
    this.#clock = options.clock ?? systemClock;
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async getCursor(accountId: string, folder: string): Promise<MailCursor | null> {
    const row = (await withDatabaseErrors(() =>
      this.#knex(TABLES.cursors)
        .where({ account_id: accountKey(accountId), folder })
        .first(),
    )) as CursorRow | undefined;
    return row ? toCursor(row) : null;
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_NOT_FOUND (no such account) */
  async setCursor(cursor: Omit<MailCursor, 'updatedAt'>): Promise<void> {
    const row = {
      account_id: accountKey(cursor.accountId),
      folder: cursor.folder,
      uid_validity: cursor.uidValidity,
      last_uid: cursor.lastUid,
      updated_at: this.#clock.now(),
    };
    await withDatabaseErrors(
      () =>
        this.#knex(TABLES.cursors)
          .insert(row)
          .onConflict(['account_id', 'folder'])
          .merge(['uid_validity', 'last_uid', 'updated_at']),
      `Mail account ${cursor.accountId} does not exist.`,
    );
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async advanceCursor(location: MessageLocation): Promise<boolean> {
    return withDatabaseErrors(() => this.advance(this.#knex, location));
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async findDelivery(location: MessageLocation): Promise<Delivery | null> {
    const row = (await withDatabaseErrors(() =>
      this.#knex(TABLES.deliveries).where(this.locationKey(location)).first(),
    )) as DeliveryRow | undefined;
    return row ? toDelivery(row) : null;
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async listDeliveries(query: {
    readonly accountId: string;
    readonly folder: string;
    readonly uidValidity: string;
    readonly fromUid?: number;
    readonly states?: readonly DeliveryState[];
  }): Promise<Delivery[]> {
    const rows = (await withDatabaseErrors(() => {
      let select = this.#knex(TABLES.deliveries).where({
        account_id: accountKey(query.accountId),
        folder: query.folder,
        uid_validity: query.uidValidity,
      });
      if (query.fromUid !== undefined) select = select.where('uid', '>=', query.fromUid);
      if (query.states !== undefined) select = select.whereIn('state', [...query.states]);
      return select.orderBy('uid', 'asc');
    })) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async findIngestedByMessageKey(accountId: string, messageKey: string): Promise<Delivery | null> {
    return this.findIngested(accountId, messageKey, 'content');
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async findIngestedByLegacyKey(accountId: string, legacyKey: string, receivedAt: number): Promise<Delivery | null> {
    return this.findIngested(accountId, legacyKey, 'legacy', receivedAt);
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async findIngestedMany(accountId: string, lookups: readonly IngestedLookup[]): Promise<Array<Delivery | null>> {
    const content = await this.firstIngested(
      accountId,
      'content',
      lookups.map((lookup) => lookup.messageKey),
    );
    const found = lookups.map((lookup) => content.get(lookup.messageKey)?.[0] ?? null);
    const misses = lookups.flatMap((lookup, i) => (found[i] === null && lookup.legacy ? [i] : []));
    if (misses.length === 0) return found;
    const legacy = await this.firstIngested(
      accountId,
      'legacy',
      misses.map((i) => lookups[i]!.legacy!.legacyKey),
    );
    for (const i of misses) {
      const { legacyKey, receivedAt } = lookups[i]!.legacy!;
      found[i] = legacy.get(legacyKey)?.find((delivery) => delivery.createdAt > receivedAt) ?? null;
    }
    return found;
  }

  /** The account's ingested rows of one key rule with these keys, by key, in the order written (lowest id first). */
  private async firstIngested(
    accountId: string,
    rule: MessageKeyRule,
    keys: readonly string[],
  ): Promise<Map<string, Delivery[]>> {
    const byKey = new Map<string, Delivery[]>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += IDS_PER_STATEMENT) {
      const rows = (await withDatabaseErrors(() =>
        this.#knex(TABLES.deliveries)
          .where({ account_id: accountKey(accountId), message_key_rule: rule })
          .whereIn('message_key', unique.slice(i, i + IDS_PER_STATEMENT))
          .whereIn('state', ['ingested', 'post_action_done'])
          .whereNotNull('ticket_id')
          .orderBy('id', 'asc'),
      )) as DeliveryRow[];
      for (const row of rows) {
        const delivery = toDelivery(row);
        byKey.set(delivery.messageKey, [...(byKey.get(delivery.messageKey) ?? []), delivery]);
      }
    }
    return byKey;
  }

  /** @throws PluginError ERR_LEASE_LOST | ERR_DATABASE_UNAVAILABLE | ERR_NOT_FOUND (no such account) */
  async recordDelivery(record: DeliveryRecord, options: DeliveryWriteOptions): Promise<Delivery> {
    return withDatabaseErrors(
      () =>
        this.#knex.transaction(async (trx) => {
          // The account row first: on SQLite it takes the write lock before anything is read.
          if (options.leaseOwner !== undefined) await this.requireLease(trx, record.accountId, options.leaseOwner);
          const { delivery, counted } = await this.write(trx, record, options.countAttempt, options.countFetched);
          if (counted) await this.countFetched(trx, record.accountId, 1);
          if (options.advanceCursor) await this.raiseCursor(trx, record);
          return delivery;
        }),
      `Mail account ${record.accountId} does not exist.`,
    );
  }

  /** @throws PluginError ERR_LEASE_LOST | ERR_DATABASE_UNAVAILABLE | ERR_NOT_FOUND (no such account) */
  async recordDeliveries(batch: DeliveryBatch): Promise<Delivery[]> {
    const accountId = batch.deliveries[0]?.record.accountId ?? batch.cursor?.accountId;
    if (accountId === undefined) return [];
    return withDatabaseErrors(
      () =>
        this.#knex.transaction(async (trx) => {
          if (batch.leaseOwner !== undefined) await this.requireLease(trx, accountId, batch.leaseOwner);
          const stored: Delivery[] = [];
          let counted = 0;
          const existing = await this.existingRows(trx, batch.deliveries);
          for (const entry of batch.deliveries) {
            const written = await this.write(
              trx,
              entry.record,
              entry.countAttempt,
              entry.countFetched,
              existing?.get(entry.record.uid) ?? null,
            );
            stored.push(written.delivery);
            if (written.counted) counted += 1;
          }
          if (counted > 0) await this.countFetched(trx, accountId, counted);
          if (batch.cursor !== null) await this.raiseCursor(trx, batch.cursor);
          return stored;
        }),
      `Mail account ${accountId} does not exist.`,
    );
  }

  /**
   * The rows already at the batch's locations, by UID, in one statement per chunk, when the batch is of one IMAP
   * folder (the IMAP loop's groups); undefined otherwise (each write then looks its row up).
   */
  private async existingRows(
    trx: Knex.Transaction,
    deliveries: readonly BatchDelivery[],
  ): Promise<Map<number, DeliveryRow> | undefined> {
    const first = deliveries[0]?.record;
    if (first === undefined) return new Map();
    const sameFolder = deliveries.every(
      ({ record }) =>
        !record.uidl &&
        record.accountId === first.accountId &&
        record.folder === first.folder &&
        record.uidValidity === first.uidValidity,
    );
    const uids = deliveries.map(({ record }) => record.uid);
    // A UID twice in one batch: the second write must see the first, so each looks its row up.
    if (!sameFolder || new Set(uids).size !== uids.length) return undefined;
    const byUid = new Map<number, DeliveryRow>();
    for (let i = 0; i < uids.length; i += IDS_PER_STATEMENT) {
      const rows = (await trx(TABLES.deliveries)
        .where({ ...this.cursorKey(first), uidl: '' })
        .whereIn('uid', uids.slice(i, i + IDS_PER_STATEMENT))) as DeliveryRow[];
      for (const row of rows) byUid.set(toNumber(row.uid), row);
    }
    return byUid;
  }

  /**
   * Inserts or updates one delivery row inside `trx`; `counted`: the account's counter is due one more.
   * @param known - the row at the location when the caller looked it up already (null: none), else looked up here
   */
  private async write(
    trx: Knex.Transaction,
    record: DeliveryRecord,
    countAttempt: boolean,
    countFetched: boolean | undefined,
    known?: DeliveryRow | null,
  ): Promise<{ delivery: Delivery; counted: boolean }> {
    const now = this.#clock.now();
    const key = this.locationKey(record);
    const existing =
      known === undefined
        ? ((await trx(TABLES.deliveries).where(key).first()) as DeliveryRow | undefined)
        : (known ?? undefined);
    const fields = {
      message_key: record.messageKey,
      message_key_rule: CURRENT_KEY_RULE,
      dedupe_key: record.dedupeKey,
      ticket_id: record.ticketId ?? existing?.ticket_id ?? null,
      state: record.state,
      last_error:
        record.lastError === undefined
          ? (existing?.last_error ?? null)
          : record.lastError === null
            ? null
            : record.lastError.slice(0, MAX_ERROR_TEXT),
      size: record.size,
      updated_at: now,
    };
    const attempts = (existing ? toNumber(existing.attempts) : 0) + (countAttempt ? 1 : 0);
    let id: string;
    if (existing) {
      id = String(existing.id);
      await trx(TABLES.deliveries)
        .where('id', toNumber(existing.id))
        .update({ ...fields, attempts });
    } else {
      id = await insertReturningId(trx, TABLES.deliveries, { ...key, ...fields, attempts, created_at: now });
    }
    const alreadyCounted = existing !== undefined && COUNTED_STATES.includes(existing.state as DeliveryState);
    // Built from what was just written (no re-select): the same values toDelivery would read back.
    const delivery = toDelivery({ id, ...key, ...fields, attempts, created_at: existing ? existing.created_at : now });
    return { delivery, counted: countFetched === true && !alreadyCounted };
  }

  private async countFetched(trx: Knex.Transaction, accountId: string, count: number): Promise<void> {
    await trx(TABLES.accounts)
      .where('id', accountKey(accountId))
      .update({ messages_fetched: trx.raw('?? + ?', ['messages_fetched', count]) });
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async markPostActionDone(deliveryId: string): Promise<void> {
    const id = parseId(deliveryId);
    if (id === null) return;
    await withDatabaseErrors(() =>
      this.#knex(TABLES.deliveries)
        .where({ id, state: 'ingested' })
        .update({ state: 'post_action_done', updated_at: this.#clock.now() }),
    );
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async markPostActionsDone(deliveryIds: readonly string[]): Promise<void> {
    const ids = deliveryIds.map(parseId).filter((id): id is number => id !== null);
    const now = this.#clock.now();
    await withDatabaseErrors(async () => {
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT)
        await this.#knex(TABLES.deliveries)
          .whereIn('id', ids.slice(i, i + IDS_PER_STATEMENT))
          .where({ state: 'ingested' })
          .update({ state: 'post_action_done', updated_at: now });
    });
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async prunePop3Deliveries(accountId: string, present: readonly string[], listedAt: number): Promise<number> {
    const keep = new Set(present);
    const pop3 = pop3Location(accountId, '');
    return withDatabaseErrors(async () => {
      const rows = (await this.#knex(TABLES.deliveries)
        .where(this.cursorKey(pop3))
        .whereNot('uidl', '')
        .where('updated_at', '<', listedAt)
        .select('id', 'uidl')) as Array<Pick<DeliveryRow, 'id' | 'uidl'>>;
      const gone = rows.filter((row) => !keep.has(row.uidl)).map((row) => toNumber(row.id));
      // In chunks: a statement has a bound on its parameters (SQLite 32766, older builds 999).
      for (let i = 0; i < gone.length; i += IDS_PER_STATEMENT)
        await this.#knex(TABLES.deliveries)
          .whereIn('id', gone.slice(i, i + IDS_PER_STATEMENT))
          .delete();
      return gone.length;
    });
  }

  private async findIngested(
    accountId: string,
    key: string,
    rule: MessageKeyRule,
    writtenAfter?: number,
  ): Promise<Delivery | null> {
    const row = (await withDatabaseErrors(() => {
      let select = this.#knex(TABLES.deliveries)
        .where({ account_id: accountKey(accountId), message_key: key, message_key_rule: rule })
        .whereIn('state', ['ingested', 'post_action_done'])
        .whereNotNull('ticket_id');
      if (writtenAfter !== undefined) select = select.where('created_at', '>', writtenAfter);
      return select.orderBy('id', 'asc').first();
    })) as DeliveryRow | undefined;
    return row ? toDelivery(row) : null;
  }

  /**
   * Re-writes the lease owner onto itself, conditional on `owner` holding it: a row lock (PostgreSQL, MySQL) or the
   * write lock (SQLite) until the transaction ends, so no takeover can slip in between the check and the write.
   */
  private async requireLease(trx: Knex.Transaction, accountId: string, owner: string): Promise<void> {
    const held = await trx(TABLES.accounts)
      .where({ id: accountKey(accountId), lease_owner: owner })
      .update({ lease_owner: owner });
    if (held > 0) return;
    const row = (await trx(TABLES.accounts).where('id', accountKey(accountId)).first('lease_owner')) as
      { lease_owner: string | null } | undefined;
    if (!row) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
    // A driver that counts changed rows only (MySQL without FOUND_ROWS) reports 0 for the unchanged row.
    if (row.lease_owner !== owner) throw new PluginError('ERR_LEASE_LOST', undefined, { accountId });
  }

  private async advance(db: Knex | Knex.Transaction, location: MessageLocation): Promise<boolean> {
    if (await this.raiseCursor(db, location)) return true;
    // Nothing raised: the cursor already stands at or above the UID, or there is none under this UIDVALIDITY.
    const row = (await db(TABLES.cursors).where(this.cursorKey(location)).first()) as CursorRow | undefined;
    return row !== undefined && toNumber(row.last_uid) >= location.uid;
  }

  /** One UPDATE; true when it moved the cursor up (the row always changes then, so every driver counts it). */
  private async raiseCursor(db: Knex | Knex.Transaction, location: MessageLocation): Promise<boolean> {
    const changed = await db(TABLES.cursors)
      .where(this.cursorKey(location))
      .where('last_uid', '<', location.uid)
      .update({ last_uid: location.uid, updated_at: this.#clock.now() });
    return changed > 0;
  }

  private cursorKey(location: MessageLocation): { account_id: number; folder: string; uid_validity: string } {
    return { account_id: accountKey(location.accountId), folder: location.folder, uid_validity: location.uidValidity };
  }

  private locationKey(location: MessageLocation): {
    account_id: number;
    folder: string;
    uid_validity: string;
    uid: number;
    uidl: string;
  } {
    return {
      account_id: accountKey(location.accountId),
      folder: location.folder,
      uid_validity: location.uidValidity,
      uid: location.uid,
      uidl: location.uidl ?? '',
    };
  }
}
