/** {@link Heartbeats} in `oauth2_mail_heartbeats`: one row per task, the latest run of any process. */
import type { Knex } from 'knex';
import type { Heartbeat, Heartbeats } from '../../plugin/ports/heartbeats';
import { toDatabaseError } from './database-errors';

interface HeartbeatRow {
  task_id: string;
  ran_at: number | string;
  interval_ms: number | string;
  owner: string;
}

/** The knex heartbeats store. */
export class KnexHeartbeats implements Heartbeats {
  /** @param knex - the host database with the plugin migrations applied */
  constructor(private readonly knex: Knex) {}

  async beat(heartbeat: Heartbeat): Promise<void> {
    try {
      await this.knex('oauth2_mail_heartbeats')
        .insert({
          task_id: heartbeat.taskId,
          ran_at: heartbeat.ranAt,
          interval_ms: heartbeat.intervalMs,
          owner: heartbeat.owner,
        })
        .onConflict('task_id')
        .merge(['ran_at', 'interval_ms', 'owner']);
    } catch (error) {
      throw toDatabaseError(error);
    }
  }

  async last(taskId: string): Promise<Heartbeat | null> {
    try {
      const row = (await this.knex('oauth2_mail_heartbeats').where({ task_id: taskId }).first()) as
        HeartbeatRow | undefined;
      if (!row) return null;
      return { taskId: row.task_id, ranAt: Number(row.ran_at), intervalMs: Number(row.interval_ms), owner: row.owner };
    } catch (error) {
      throw toDatabaseError(error);
    }
  }
}
