import { MAX_EVENT_PAGE } from '../../../adapters/knex/knex-event-log';
import { PluginError } from '../../../plugin/errors';
import type { EventLog, EventType, PluginEvent } from '../../../plugin/ports/event-log';
import { isRowId, type MemoryStore } from './memory-store';

/** {@link EventLog} in a {@link MemoryStore}: append only, listed newest first, kept after its account is gone. */
export class MemoryEventLog implements EventLog {
  /** @param store - the database */
  constructor(private readonly store: MemoryStore) {}

  /** Test view: every event in the order recorded. */
  get events(): readonly PluginEvent[] {
    return this.store.events;
  }

  /** Test view: the types recorded (for one account), in order. */
  types(accountId?: string): EventType[] {
    return this.store.events.filter((e) => accountId === undefined || e.accountId === accountId).map((e) => e.type);
  }

  /** @throws PluginError ERR_INPUT_INVALID when `accountId` or `appId` is not an id */
  async record(event: Omit<PluginEvent, 'id'>): Promise<void> {
    for (const field of ['accountId', 'appId'] as const) {
      const value = event[field];
      if (value !== null && !isRowId(value))
        throw new PluginError('ERR_INPUT_INVALID', `Event ${field} "${value}" is not an id.`, { field });
    }
    this.store.events.push({ ...event, id: this.store.nextId('events') });
  }

  /** Newest first (same time: last recorded first), filtered by account and app, at most `limit` (capped like the knex one). */
  async list(filter: {
    readonly accountId?: string;
    readonly appId?: string;
    readonly limit: number;
    readonly offset?: number;
  }): Promise<PluginEvent[]> {
    const limit = Math.min(Math.floor(filter.limit), MAX_EVENT_PAGE);
    if (!(limit > 0)) return [];
    const offset = Math.max(0, Math.floor(filter.offset ?? 0)) || 0;
    return this.store.events
      .filter(
        (e) =>
          (filter.accountId === undefined || e.accountId === filter.accountId) &&
          (filter.appId === undefined || e.appId === filter.appId),
      )
      .sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id))
      .slice(offset, offset + limit)
      .map((e) => ({ ...e }));
  }
}
