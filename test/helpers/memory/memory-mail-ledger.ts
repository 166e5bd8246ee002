import { MAX_ERROR_TEXT } from '../../../adapters/knex/knex-mail-ledger';
import { PluginError } from '../../../plugin/errors';
import type {
  Delivery,
  DeliveryBatch,
  DeliveryRecord,
  DeliveryState,
  DeliveryWriteOptions,
  IngestedLookup,
  MailCursor,
  MailLedger,
  MessageKeyRule,
  MessageLocation,
} from '../../../plugin/ports/mail-ledger';
import type { Clock } from '../../../plugin/ports/clock';
import type { MemoryStore } from './memory-store';

function sameLocation(a: MessageLocation, b: MessageLocation): boolean {
  return (
    a.accountId === b.accountId &&
    a.folder === b.folder &&
    a.uidValidity === b.uidValidity &&
    a.uid === b.uid &&
    (a.uidl ?? '') === (b.uidl ?? '')
  );
}

const cursorKey = (accountId: string, folder: string): string => `${accountId}/${folder}`;

/** States of a row whose message was handed to the host and counted on the account. */
const COUNTED_STATES: readonly DeliveryState[] = ['ingested', 'post_action_done'];

/** {@link MailLedger} in a {@link MemoryStore}: cursors and deliveries of existing accounts, gone with the account. */
export class MemoryMailLedger implements MailLedger {
  /** Test knob: thrown once from recordDelivery, before anything is written (a crash between ingest and the ledger). */
  failNextRecord: Error | null = null;

  /**
   * @param store - the database
   * @param clock - timestamps
   */
  constructor(
    private readonly store: MemoryStore,
    private readonly clock: Clock,
  ) {}

  /** Test view: every delivery, in the order first written. */
  get deliveries(): readonly Delivery[] {
    return this.store.deliveries;
  }

  async getCursor(accountId: string, folder: string): Promise<MailCursor | null> {
    const cursor = this.store.cursors.get(cursorKey(accountId, folder));
    return cursor ? { ...cursor } : null;
  }

  /** @throws PluginError ERR_NOT_FOUND for an unknown account */
  async setCursor(cursor: Omit<MailCursor, 'updatedAt'>): Promise<void> {
    this.store.requireAccount(cursor.accountId);
    this.store.cursors.set(cursorKey(cursor.accountId, cursor.folder), { ...cursor, updatedAt: this.clock.now() });
  }

  async advanceCursor(location: MessageLocation): Promise<boolean> {
    const key = cursorKey(location.accountId, location.folder);
    const cursor = this.store.cursors.get(key);
    if (!cursor || cursor.uidValidity !== location.uidValidity) return false;
    if (cursor.lastUid < location.uid)
      this.store.cursors.set(key, { ...cursor, lastUid: location.uid, updatedAt: this.clock.now() });
    return true;
  }

  async findDelivery(location: MessageLocation): Promise<Delivery | null> {
    const delivery = this.store.deliveries.find((d) => sameLocation(d, location));
    return delivery ? { ...delivery } : null;
  }

  async listDeliveries(query: {
    readonly accountId: string;
    readonly folder: string;
    readonly uidValidity: string;
    readonly fromUid?: number;
    readonly states?: readonly DeliveryState[];
  }): Promise<Delivery[]> {
    return this.store.deliveries
      .filter(
        (d) =>
          d.accountId === query.accountId &&
          d.folder === query.folder &&
          d.uidValidity === query.uidValidity &&
          (query.fromUid === undefined || d.uid >= query.fromUid) &&
          (query.states === undefined || query.states.includes(d.state)),
      )
      .sort((a, b) => a.uid - b.uid)
      .map((d) => ({ ...d }));
  }

  /** The first such delivery written (lowest id), under the content key rule. */
  async findIngestedByMessageKey(accountId: string, messageKey: string): Promise<Delivery | null> {
    return this.#findIngested(accountId, messageKey, 'content', -Infinity);
  }

  /** The first delivery written under the legacy rule with that key after `receivedAt`. */
  async findIngestedByLegacyKey(accountId: string, legacyKey: string, receivedAt: number): Promise<Delivery | null> {
    return this.#findIngested(accountId, legacyKey, 'legacy', receivedAt);
  }

  /** One lookup after the other, as the single-message methods answer. */
  async findIngestedMany(accountId: string, lookups: readonly IngestedLookup[]): Promise<Array<Delivery | null>> {
    return lookups.map(
      (lookup) =>
        this.#findIngested(accountId, lookup.messageKey, 'content', -Infinity) ??
        (lookup.legacy
          ? this.#findIngested(accountId, lookup.legacy.legacyKey, 'legacy', lookup.legacy.receivedAt)
          : null),
    );
  }

  #findIngested(accountId: string, key: string, rule: MessageKeyRule, after: number): Delivery | null {
    const delivery = this.store.deliveries.find(
      (d) =>
        d.accountId === accountId &&
        d.messageKey === key &&
        d.messageKeyRule === rule &&
        d.createdAt > after &&
        (d.state === 'ingested' || d.state === 'post_action_done') &&
        d.ticketId !== null,
    );
    return delivery ? { ...delivery } : null;
  }

  /**
   * Checks the lease, writes the delivery, counts it on the account and (when asked) raises the cursor, all or nothing.
   * @throws PluginError ERR_NOT_FOUND for an unknown account | ERR_LEASE_LOST
   */
  async recordDelivery(record: DeliveryRecord, options: DeliveryWriteOptions): Promise<Delivery> {
    if (this.failNextRecord) {
      const error = this.failNextRecord;
      this.failNextRecord = null;
      throw error;
    }
    const accountRow = this.store.requireAccount(record.accountId);
    if (options.leaseOwner !== undefined && accountRow.account.lease?.owner !== options.leaseOwner)
      throw new PluginError('ERR_LEASE_LOST', undefined, { accountId: record.accountId });
    const now = this.clock.now();
    const index = this.store.deliveries.findIndex((d) => sameLocation(d, record));
    const existing = index >= 0 ? this.store.deliveries[index] : undefined;
    const delivery: Delivery = {
      id: existing?.id ?? this.store.nextId('deliveries'),
      accountId: record.accountId,
      folder: record.folder,
      uidValidity: record.uidValidity,
      uid: record.uid,
      ...(record.uidl ? { uidl: record.uidl } : {}),
      messageKey: record.messageKey,
      messageKeyRule: 'content',
      dedupeKey: record.dedupeKey,
      size: record.size,
      state: record.state,
      ticketId: record.ticketId ?? existing?.ticketId ?? null,
      lastError:
        record.lastError === undefined
          ? (existing?.lastError ?? null)
          : record.lastError === null
            ? null
            : record.lastError.slice(0, MAX_ERROR_TEXT),
      attempts: (existing?.attempts ?? 0) + (options.countAttempt ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    const alreadyCounted = existing !== undefined && COUNTED_STATES.includes(existing.state);
    if (options.countFetched && !alreadyCounted) {
      const account = accountRow.account;
      this.store.accounts.set(account.id, {
        ...accountRow,
        account: { ...account, messagesFetched: account.messagesFetched + 1 },
      });
    }
    if (existing) this.store.deliveries[index] = delivery;
    else this.store.deliveries.push(delivery);
    if (options.advanceCursor) await this.advanceCursor(record);
    return { ...delivery };
  }

  /** All of the batch or, when the account is unknown, the lease lost or a failure is due, nothing. */
  async recordDeliveries(batch: DeliveryBatch): Promise<Delivery[]> {
    const accountId = batch.deliveries[0]?.record.accountId ?? batch.cursor?.accountId;
    if (accountId === undefined) return [];
    if (this.failNextRecord) {
      const error = this.failNextRecord;
      this.failNextRecord = null;
      throw error;
    }
    const accountRow = this.store.requireAccount(accountId);
    if (batch.leaseOwner !== undefined && accountRow.account.lease?.owner !== batch.leaseOwner)
      throw new PluginError('ERR_LEASE_LOST', undefined, { accountId });
    const stored: Delivery[] = [];
    for (const entry of batch.deliveries)
      stored.push(
        await this.recordDelivery(entry.record, {
          advanceCursor: false,
          countAttempt: entry.countAttempt,
          ...(entry.countFetched === undefined ? {} : { countFetched: entry.countFetched }),
        }),
      );
    if (batch.cursor !== null) await this.advanceCursor(batch.cursor);
    return stored;
  }

  /** `ingested` -> `post_action_done` for each listed row. */
  async markPostActionsDone(deliveryIds: readonly string[]): Promise<void> {
    for (const id of deliveryIds) await this.markPostActionDone(id);
  }

  /** Deletes the account's POP3 rows whose UIDL is not listed any more. */
  async prunePop3Deliveries(accountId: string, present: readonly string[], listedAt: number): Promise<number> {
    const keep = new Set(present);
    let deleted = 0;
    for (let i = this.store.deliveries.length - 1; i >= 0; i--) {
      const d = this.store.deliveries[i]!;
      if (d.accountId === accountId && d.uidl && !keep.has(d.uidl) && d.updatedAt < listedAt) {
        this.store.deliveries.splice(i, 1);
        deleted += 1;
      }
    }
    return deleted;
  }

  /** `ingested` -> `post_action_done`; any other state, or an unknown id, is left alone. */
  async markPostActionDone(deliveryId: string): Promise<void> {
    const index = this.store.deliveries.findIndex((d) => d.id === deliveryId && d.state === 'ingested');
    if (index >= 0)
      this.store.deliveries[index] = {
        ...this.store.deliveries[index]!,
        state: 'post_action_done',
        updatedAt: this.clock.now(),
      };
  }
}
