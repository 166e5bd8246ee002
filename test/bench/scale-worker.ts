/**
 * Child process of the scale bench: a host process in miniature (the plugin over a shared PostgreSQL or MariaDB
 * database, ingesting into the reference TicketStore) that polls every account, cycle after cycle, until "stop".
 * Protocol: <- task, -> ready, <- go, <- stop, -> result.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { assembleBenchPlugin } from './bench-plugin';
import type { ChildMessage, ScaleResult, ScaleTask } from './probe-protocol';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

async function work(task: ScaleTask): Promise<void> {
  const plugin = await assembleBenchPlugin(task.settings);
  // Opens the pooled connection first, so "go" measures polling and nothing else.
  await plugin.knex.raw('select 1');
  let stopping = false;
  const go = new Promise((resolve) => process.once('message', resolve));
  await send({ type: 'ready' });
  await go;
  process.once('message', () => {
    stopping = true;
  });
  let fetched = 0;
  let duplicates = 0;
  let failed = 0;
  let cycles = 0;
  let firstError: string | null = null;
  const outcomes: Record<string, number> = {};
  while (!stopping) {
    const results = await plugin.poll();
    cycles += 1;
    let fetchedNow = 0;
    for (const result of results) {
      fetchedNow += result.fetched;
      duplicates += result.duplicates;
      failed += result.failed;
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      if (result.error) firstError ??= `${result.error.code}: ${result.error.message}`;
    }
    fetched += fetchedNow;
    if (fetchedNow === 0 && !stopping) await sleep(task.idlePauseMs);
  }
  await plugin.close();
  const result: ScaleResult = { pid: process.pid, fetched, duplicates, failed, cycles, outcomes, firstError };
  await send({ type: 'result', result });
}

process.once('message', (task: ScaleTask) => {
  work(task)
    .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
    .finally(() => process.exit(0));
});
