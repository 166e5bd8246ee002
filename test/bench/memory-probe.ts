/**
 * Child process of the bench (forked with --expose-gc, one task per process so the numbers are clean):
 * measures the memory of one fetch by the plugin or by raw imapflow and answers over IPC.
 */
import { assembleBenchPlugin } from './bench-plugin';
import { collectGarbage, collectGarbageNow, PeakMeter, rssBytes } from './memory-meter';
import type { ChildMessage, MemoryCheckpoint, MemoryResult, MemoryTask } from './probe-protocol';
import { rawFetchAll, rawFetchOne } from './raw-imap';

function checkpoint(messages: number): MemoryCheckpoint {
  collectGarbageNow();
  const usage = process.memoryUsage();
  return { messages, rss: usage.rss, heapUsed: usage.heapUsed };
}

async function pluginLarge(task: Extract<MemoryTask, { kind: 'plugin-large' }>): Promise<MemoryResult> {
  const plugin = await assembleBenchPlugin(task.settings, { host: task.host });
  try {
    // Warm-up: loads every code path (imapflow, mailparser, the SQLite statements) before the baseline.
    await plugin.poll(task.warmAccountId);
    const warmBytes = plugin.minimalHost?.bytes ?? 0;
    await collectGarbage();
    const baselineRss = rssBytes();
    const meter = new PeakMeter();
    const started = performance.now();
    const [result] = await plugin.poll(task.accountId);
    const ms = performance.now() - started;
    const peak = meter.stop();
    const bytes = plugin.minimalHost
      ? plugin.minimalHost.bytes - warmBytes
      : ((await plugin.tickets.list({ accountId: task.accountId, limit: 1 }))[0]?.size ?? 0);
    return {
      baselineRss,
      peakRss: peak.peak,
      sampledPeakRss: peak.sampledPeak,
      peakSource: peak.source,
      fetched: result?.fetched ?? 0,
      bytes,
      ms,
      warnings: plugin.problems.count,
      firstWarnings: plugin.problems.first,
    };
  } finally {
    await plugin.close();
  }
}

async function rawLarge(task: Extract<MemoryTask, { kind: 'raw-large' }>): Promise<MemoryResult> {
  await rawFetchAll(task.warm, false);
  await collectGarbage();
  const baselineRss = rssBytes();
  const meter = new PeakMeter();
  const started = performance.now();
  const bytes = await rawFetchOne(task.target, task.uid);
  const ms = performance.now() - started;
  const peak = meter.stop();
  return {
    baselineRss,
    peakRss: peak.peak,
    sampledPeakRss: peak.sampledPeak,
    peakSource: peak.source,
    fetched: bytes > 0 ? 1 : 0,
    bytes,
    ms,
  };
}

async function pluginFlat(task: Extract<MemoryTask, { kind: 'plugin-flat' }>): Promise<MemoryResult> {
  const checkpoints: MemoryCheckpoint[] = [];
  let ingested = 0;
  let bytes = 0;
  const plugin = await assembleBenchPlugin(task.settings, {
    onIngest: (message) => {
      ingested += 1;
      bytes += message.raw.length;
      if (ingested === task.warmup || (ingested > task.warmup && (ingested - task.warmup) % task.checkpointEvery === 0))
        checkpoints.push(checkpoint(ingested));
    },
  });
  try {
    await plugin.poll(task.warmAccountId);
    ingested = 0;
    bytes = 0;
    checkpoints.length = 0;
    const started = performance.now();
    const [result] = await plugin.poll(task.accountId);
    const ms = performance.now() - started;
    await collectGarbage();
    const finalRss = rssBytes();
    const baselineRss = checkpoints[0]?.rss ?? finalRss;
    return {
      baselineRss,
      finalRss,
      checkpoints,
      fetched: result?.fetched ?? 0,
      bytes,
      ms,
      warnings: plugin.problems.count,
      firstWarnings: plugin.problems.first,
    };
  } finally {
    await plugin.close();
  }
}

async function rawFlat(task: Extract<MemoryTask, { kind: 'raw-flat' }>): Promise<MemoryResult> {
  const checkpoints: MemoryCheckpoint[] = [];
  const result = await rawFetchAll(task.target, false, (index) => {
    if (index === task.warmup || (index > task.warmup && (index - task.warmup) % task.checkpointEvery === 0))
      checkpoints.push(checkpoint(index));
  });
  await collectGarbage();
  const finalRss = rssBytes();
  return {
    baselineRss: checkpoints[0]?.rss ?? finalRss,
    finalRss,
    checkpoints,
    fetched: result.messages,
    bytes: result.bytes,
    ms: result.ms,
  };
}

function run(task: MemoryTask): Promise<MemoryResult> {
  switch (task.kind) {
    case 'plugin-large':
      return pluginLarge(task);
    case 'raw-large':
      return rawLarge(task);
    case 'plugin-flat':
      return pluginFlat(task);
    case 'raw-flat':
      return rawFlat(task);
  }
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

process.once('message', (task: MemoryTask) => {
  run(task)
    .then(
      (result) => send({ type: 'result', result }),
      (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => {
      // Nothing of the probe is left to finish; the pooled sockets and the log stream need not be awaited.
      process.exit(0);
    });
});
