/**
 * Admin notifications (`host_notifications`): one open row per plugin and key, shown as banners in
 * the admin shell. A repeat of an open incident updates the row (and counts it) instead of adding one.
 */
import type { Knex } from 'knex';
import type { LoggerPort, Notification, NotifyPort } from '../plugin/index';
import { isUniqueViolation, toMillis } from './db-errors';

/** An open notification as the shell shows it. */
export interface HostNotification {
  readonly id: number;
  readonly pluginId: string;
  readonly key: string;
  readonly severity: Notification['severity'];
  readonly title: string;
  readonly message: string;
  readonly path: string | null;
  readonly occurrences: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When the incident was resolved (the cause went away); null while open. */
  readonly resolvedAt: number | null;
}

/** The notification store and its log line. */
export class NotificationCenter {
  /**
   * @param knex - the host database
   * @param logger - each new incident is also logged once
   * @param now - clock, epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly logger: LoggerPort,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens the incident `notification.key` for `pluginId`, or refreshes it when already open. */
  async notify(pluginId: string, notification: Notification): Promise<void> {
    const fields = {
      severity: notification.severity,
      title: notification.title,
      message: notification.message,
      path: notification.path ?? null,
    };
    if (await this.refreshOpen(pluginId, notification.key, fields)) return;
    const at = this.now();
    try {
      await this.knex('host_notifications').insert({
        plugin_id: pluginId,
        key: notification.key,
        open_key: notification.key,
        ...fields,
        occurrences: 1,
        created_at: at,
        updated_at: at,
        resolved_at: null,
      });
    } catch (error) {
      // Another process opened the same incident between our UPDATE and INSERT.
      if (!isUniqueViolation(error)) throw error;
      await this.refreshOpen(pluginId, notification.key, fields);
      return;
    }
    const log =
      notification.severity === 'error'
        ? this.logger.error
        : notification.severity === 'warning'
          ? this.logger.warn
          : this.logger.info;
    log.call(this.logger, `notification: ${notification.title}`, {
      pluginId,
      key: notification.key,
      detail: notification.message,
    });
  }

  /** Closes the open incident `key` of `pluginId`, if any. */
  async resolve(pluginId: string, key: string): Promise<void> {
    const at = this.now();
    const closed = await this.knex('host_notifications')
      .where({ plugin_id: pluginId, open_key: key })
      .update({ open_key: null, resolved_at: at, updated_at: at });
    if (closed > 0) this.logger.info('notification resolved', { pluginId, key });
  }

  /** The NotifyPort of one source (a plugin id), without the permission check the plugin scope adds. */
  portFor(pluginId: string): NotifyPort {
    return {
      notify: (notification) => this.notify(pluginId, notification),
      resolve: (key) => this.resolve(pluginId, key),
    };
  }

  /** Open notifications, most recent first. */
  async listOpen(): Promise<HostNotification[]> {
    return this.list({ all: false });
  }

  /**
   * Notifications, most recent first: the open ones, or with `all` the resolved ones too.
   * @param options - `all`: include resolved incidents
   */
  async list(options: { readonly all: boolean }): Promise<HostNotification[]> {
    const query = this.knex('host_notifications').orderBy('updated_at', 'desc').orderBy('id', 'desc');
    const rows: Record<string, unknown>[] = options.all ? await query : await query.whereNotNull('open_key');
    return rows.map((row) => ({
      id: Number(row.id),
      pluginId: String(row.plugin_id),
      key: String(row.key),
      severity: row.severity as Notification['severity'],
      title: String(row.title),
      message: String(row.message),
      path: (row.path as string | null) ?? null,
      occurrences: Number(row.occurrences),
      createdAt: toMillis(row.created_at),
      updatedAt: toMillis(row.updated_at),
      resolvedAt: row.resolved_at === null || row.resolved_at === undefined ? null : toMillis(row.resolved_at),
    }));
  }

  private async refreshOpen(pluginId: string, key: string, fields: Record<string, unknown>): Promise<boolean> {
    const updated = await this.knex('host_notifications')
      .where({ plugin_id: pluginId, open_key: key })
      .update({ ...fields, occurrences: this.knex.raw('occurrences + 1'), updated_at: this.now() });
    return updated > 0;
  }
}
