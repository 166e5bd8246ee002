import type { Knex } from 'knex';
import { PluginError } from '../../plugin/errors';
import type { EventLog, PluginEvent } from '../../plugin/ports/event-log';
import { withDatabaseErrors } from './database-errors';
import type { KnexRepositoryOptions } from './repository-options';
import { parseId, TABLES, toPluginEvent, type EventRow } from './rows';

/** Most events one {@link KnexEventLog.list} call returns. */
export const MAX_EVENT_PAGE = 1000;

function referenceKey(field: 'accountId' | 'appId', value: string | null): number | null {
  if (value === null) return null;
  const key = parseId(value);
  if (key === null) throw new PluginError('ERR_INPUT_INVALID', `Event ${field} "${value}" is not an id.`, { field });
  return key;
}

/**
 * {@link EventLog} on the `oauth2_mail_events` table. Events keep account and app ids without foreign
 * keys, so the history of a removed account stays readable.
 */
export class KnexEventLog implements EventLog {
  readonly #knex: Knex;

  /** @param options - the host's knex (`secrets` and `clock` are not used: events carry their own time and no secret) */
  constructor(options: KnexRepositoryOptions) {
    this.#knex = options.knex;
  }

  /** @throws PluginError ERR_INPUT_INVALID (an id that is not one) | ERR_DATABASE_UNAVAILABLE */
  async record(event: Omit<PluginEvent, 'id'>): Promise<void> {
    const row: Omit<EventRow, 'id'> = {
      at: event.at,
      type: event.type,
      account_id: referenceKey('accountId', event.accountId),
      app_id: referenceKey('appId', event.appId),
      actor_id: event.actorId,
      code: event.code,
      message: event.message,
    };
    await withDatabaseErrors(() => this.#knex(TABLES.events).insert(row));
  }

  /**
   * @returns the newest events first (of one account and/or app when filtered), at most `limit` (capped at {@link MAX_EVENT_PAGE})
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async list(filter: {
    readonly accountId?: string;
    readonly appId?: string;
    readonly limit: number;
    readonly offset?: number;
  }): Promise<PluginEvent[]> {
    const limit = Math.min(Math.floor(filter.limit), MAX_EVENT_PAGE);
    if (!(limit > 0)) return [];
    const offset = Math.max(0, Math.floor(filter.offset ?? 0)) || 0;
    const accountKey = filter.accountId === undefined ? undefined : parseId(filter.accountId);
    const appKey = filter.appId === undefined ? undefined : parseId(filter.appId);
    if (accountKey === null || appKey === null) return [];
    const rows = (await withDatabaseErrors(() => {
      let query = this.#knex(TABLES.events).select('*');
      if (accountKey !== undefined) query = query.where('account_id', accountKey);
      if (appKey !== undefined) query = query.where('app_id', appKey);
      return query
        .orderBy([
          { column: 'at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .offset(offset);
    })) as EventRow[];
    return rows.map(toPluginEvent);
  }
}
