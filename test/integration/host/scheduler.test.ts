/** The host scheduler: no overlapping runs of one task, a failing run never stops the schedule, stop aborts. */
import pino from 'pino';
import { toLoggerPort } from '../../../host/logger';
import { Scheduler } from '../../../host/scheduler';

const logger = toLoggerPort(pino({ level: 'silent' }));

function waitFor(condition: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () =>
      condition()
        ? resolve()
        : Date.now() > deadline
          ? reject(new Error(`timed out waiting for ${what}`))
          : setTimeout(poll, 5);
    poll();
  });
}

describe('Scheduler', () => {
  it('never overlaps two runs of a task, and keeps going after failing runs', async () => {
    const scheduler = new Scheduler(logger, { firstRunDelayMs: 0 });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    scheduler.schedule(
      {
        id: 'demo.task',
        intervalMs: 1,
        async run() {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 10));
          running -= 1;
          if (runs % 2 === 1) throw new Error('every other run fails');
        },
      },
      'demo',
    );
    scheduler.start();
    await waitFor(() => runs >= 5, 'five runs');
    await scheduler.stop();
    expect(maxRunning).toBe(1);
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(after);
  });

  it('aborts the signal of a running task on stop and waits for it to settle', async () => {
    const scheduler = new Scheduler(logger, { firstRunDelayMs: 0 });
    let started = false;
    let sawAbort = false;
    let settled = false;
    scheduler.schedule(
      {
        id: 'demo.long',
        intervalMs: 60_000,
        run: (signal) =>
          new Promise<void>((resolve) => {
            started = true;
            signal.addEventListener('abort', () => {
              sawAbort = true;
              settled = true;
              resolve();
            });
          }),
      },
      'demo',
    );
    scheduler.start();
    await waitFor(() => started, 'the run to start');
    await scheduler.stop();
    expect(sawAbort).toBe(true);
    expect(settled).toBe(true);
    expect(scheduler.list()).toEqual([]);
  });

  it('does not run a disposed task', async () => {
    const scheduler = new Scheduler(logger, { firstRunDelayMs: 0 });
    let disposedRuns = 0;
    let otherRuns = 0;
    const handle = scheduler.schedule(
      { id: 'demo.disposed', intervalMs: 1, run: async () => void (disposedRuns += 1) },
      'demo',
    );
    scheduler.schedule({ id: 'demo.other', intervalMs: 1, run: async () => void (otherRuns += 1) }, 'demo');
    await handle.dispose();
    scheduler.start();
    await waitFor(() => otherRuns >= 3, 'the other task to run');
    await scheduler.stop();
    expect(disposedRuns).toBe(0);
  });
});
