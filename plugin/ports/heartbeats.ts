/** When the plugin's scheduled tasks last ran, across processes (a port; adapters/knex implements it). */

/** One task's last run. */
export interface Heartbeat {
  readonly taskId: string;
  /** Epoch ms. */
  readonly ranAt: number;
  readonly intervalMs: number;
  /** The process that ran it. */
  readonly owner: string;
}

/** The heartbeats store. */
export interface Heartbeats {
  /** Records that `taskId` starts a run now. */
  beat(heartbeat: Heartbeat): Promise<void>;
  /** The last run of `taskId`, or null when it never ran. */
  last(taskId: string): Promise<Heartbeat | null>;
}
