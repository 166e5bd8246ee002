/**
 * The host's scheduler: each task runs every `intervalMs`, never two runs of one task at once in
 * this process (the next run is timed from the end of the previous one), with an AbortSignal
 * aborted on stop or dispose. A failing run is logged and the task keeps its schedule.
 */
import { PluginError } from '../plugin/index';
import type { Disposable, LoggerPort, ScheduledTask } from '../plugin/index';
import { loggableError } from '../lib/loggable-error';

interface Entry {
  readonly task: ScheduledTask;
  readonly owner: string;
  readonly controller: AbortController;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  disposed: boolean;
  runs: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Delay before a task's first run once the scheduler is started; default 1000 ms. */
  readonly firstRunDelayMs?: number;
}

/** Snapshot of one scheduled task. */
export interface ScheduledTaskInfo {
  readonly id: string;
  readonly owner: string;
  readonly intervalMs: number;
  readonly running: boolean;
  readonly runs: number;
}

/** Periodic tasks of all plugins. */
export class Scheduler {
  private readonly entries = new Set<Entry>();
  private started = false;
  private stopped = false;
  private readonly firstRunDelayMs: number;

  /**
   * @param logger - run failures go here
   * @param options - timing
   */
  constructor(
    private readonly logger: LoggerPort,
    options: SchedulerOptions = {},
  ) {
    this.firstRunDelayMs = options.firstRunDelayMs ?? 1000;
  }

  /**
   * Adds a task. It starts running when the scheduler is started (at once if it already is).
   * @param task - the task
   * @param owner - plugin id, for logs
   */
  schedule(task: ScheduledTask, owner: string): Disposable {
    if (!Number.isFinite(task.intervalMs) || task.intervalMs < 1)
      throw new RangeError(`intervalMs of task ${task.id} must be a positive number`);
    const entry: Entry = {
      task,
      owner,
      controller: new AbortController(),
      timer: undefined,
      running: undefined,
      disposed: false,
      runs: 0,
    };
    this.entries.add(entry);
    if (this.started && !this.stopped) this.arm(entry, this.firstRunDelayMs);
    return { dispose: () => this.remove(entry) };
  }

  /** Starts every task scheduled so far (and those scheduled later). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries) this.arm(entry, this.firstRunDelayMs);
  }

  /** Aborts running tasks, waits for them to settle, and runs nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries].map((entry) => this.remove(entry)));
  }

  /**
   * Runs one cycle of a task now, outside its schedule (the console's `poll --once`): after any run of
   * it in flight, through its `runOnce` when it has one (whose report is returned), else `run`.
   * @param taskId - the task's contribution id
   * @param options - task-specific options, e.g. `{ accountId }`
   * @param signal - aborts the run (stopping the scheduler aborts it too)
   * @throws PluginError ERR_NOT_FOUND when no task has this id
   */
  async runNow(taskId: string, options: Readonly<Record<string, string>> = {}, signal?: AbortSignal): Promise<unknown> {
    const entry = [...this.entries].find((candidate) => candidate.task.id === taskId);
    if (!entry)
      throw new PluginError('ERR_NOT_FOUND', `No scheduled task ${taskId}; is the plugin installed and active?`);
    await entry.running;
    const combined = signal ? AbortSignal.any([signal, entry.controller.signal]) : entry.controller.signal;
    let done: () => void = () => undefined;
    entry.running = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      if (entry.task.runOnce) return await entry.task.runOnce(combined, options);
      await entry.task.run(combined);
      return undefined;
    } finally {
      entry.running = undefined;
      done();
    }
  }

  /** What is scheduled. */
  list(): ScheduledTaskInfo[] {
    return [...this.entries].map((entry) => ({
      id: entry.task.id,
      owner: entry.owner,
      intervalMs: entry.task.intervalMs,
      running: entry.running !== undefined,
      runs: entry.runs,
    }));
  }

  private arm(entry: Entry, delayMs: number): void {
    if (entry.disposed || this.stopped) return;
    entry.timer = setTimeout(() => this.runOnce(entry), delayMs);
  }

  private runOnce(entry: Entry): void {
    entry.timer = undefined;
    if (entry.disposed || this.stopped) return;
    const log = this.logger.child({ task: entry.task.id, plugin: entry.owner });
    entry.runs += 1;
    entry.running = (async () => {
      try {
        await entry.task.run(entry.controller.signal);
      } catch (error) {
        if (entry.controller.signal.aborted) log.info('task run aborted');
        else log.error('task run failed', { error: loggableError(error) });
      }
    })().finally(() => {
      entry.running = undefined;
      this.arm(entry, entry.task.intervalMs);
    });
  }

  private async remove(entry: Entry): Promise<void> {
    entry.disposed = true;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.controller.abort();
    this.entries.delete(entry);
    await entry.running;
  }
}
