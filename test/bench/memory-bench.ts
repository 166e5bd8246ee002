/**
 * Budget 3: memory. (a) One large message: peak RSS growth of the plugin's fetch (poll -> download -> TicketStore)
 * against the message's size, raw imapflow's fetch of the same message alongside. (b) Many small messages: RSS after
 * gc before and after them. Each measurement runs in its own child process (--expose-gc) after a warm-up.
 */
import type { BenchEnvironment } from './bench-environment';
import { bigMessage, smallMessages } from './bench-mail';
import { mib, withinBudget, type BenchRow } from './bench-report';
import { runMemoryProbe } from './child-runner';
import type { RawTarget } from './raw-imap';

/** The mailboxes of the memory runs. */
export const MEMORY_MAILBOXES = ['warm@example.test', 'large@example.test', 'flat@example.test'] as const;
const [WARM, LARGE, FLAT] = MEMORY_MAILBOXES;

/** Small messages fetched before the "before" sample of the flat run (caches, JIT, SQLite pages warm). */
const FLAT_WARMUP = 1000;
/**
 * "Flat": RSS after gc may grow by at most this much across the small messages. A pipeline that kept anything per
 * message (a map entry, a buffer, a log line of ~1 KB) would grow by ~10 MB per 10,000; allocator noise stays below.
 */
const FLAT_BUDGET_MIB = 8;

async function targetOf(env: BenchEnvironment, accountId: string, mailbox: string): Promise<RawTarget> {
  const grant = await env.plugin.oauth.tokenService.getAccessToken(accountId);
  return { port: env.dovecot.ports.imaps, caPem: env.dovecot.caCertPem, user: mailbox, accessToken: grant.accessToken };
}

/**
 * Measures the large message and the flat run.
 * @param env - the bench world
 * @param largeMb - size of the large message, MiB
 * @param flatMessages - small messages measured (after FLAT_WARMUP more)
 */
export async function benchMemory(
  env: BenchEnvironment,
  largeMb: number,
  flatMessages: number,
): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const big = bigMessage(largeMb);
  await env.dovecot.seed(WARM, smallMessages(1, 'warm'));
  await env.dovecot.seed(LARGE, [big]);
  await env.dovecot.seed(FLAT, smallMessages(FLAT_WARMUP + flatMessages, 'flat'));
  const checkpointEvery = Math.max(1, Math.floor(flatMessages / 10));

  // (a) the large message
  const largeAccount = await env.addAccount(LARGE, { postFetch: 'keep' });
  const largeWarm = await env.addAccount(WARM, { postFetch: 'keep' });
  const largeTarget = await targetOf(env, largeAccount.id, LARGE);
  const rawLarge = await runMemoryProbe({
    kind: 'raw-large',
    target: largeTarget,
    warm: await targetOf(env, largeWarm.id, WARM),
    uid: 1,
  });
  const pluginLarge = await runMemoryProbe({
    kind: 'plugin-large',
    settings: env.settings,
    warmAccountId: largeWarm.id,
    accountId: largeAccount.id,
    host: 'ticket-store',
  });
  // Attribution: the same fetch into a host that keeps nothing but a digest (a second account on the same mailbox).
  const minimalAccount = await env.addAccount(LARGE, { postFetch: 'keep' });
  const minimalWarm = await env.addAccount(WARM, { postFetch: 'keep' });
  const minimalLarge = await runMemoryProbe({
    kind: 'plugin-large',
    settings: env.settings,
    warmAccountId: minimalWarm.id,
    accountId: minimalAccount.id,
    host: 'minimal',
  });
  const size = big.length;
  const pluginGrowth = (pluginLarge.peakRss ?? 0) - pluginLarge.baselineRss;
  const minimalGrowth = (minimalLarge.peakRss ?? 0) - minimalLarge.baselineRss;
  const minimalOk = minimalLarge.fetched === 1 && minimalLarge.bytes === size;
  const rawGrowth = (rawLarge.peakRss ?? 0) - rawLarge.baselineRss;
  const largeOk = pluginLarge.fetched === 1 && pluginLarge.bytes === size;
  const largeRatio = pluginGrowth / size;

  // (b) flat across many small messages
  const flatAccount = await env.addAccount(FLAT, { postFetch: 'keep' });
  const flatWarm = await env.addAccount(WARM, { postFetch: 'keep' });
  const rawFlat = await runMemoryProbe({
    kind: 'raw-flat',
    target: await targetOf(env, flatAccount.id, FLAT),
    warmup: FLAT_WARMUP,
    checkpointEvery,
  });
  const pluginFlat = await runMemoryProbe({
    kind: 'plugin-flat',
    settings: env.settings,
    warmAccountId: flatWarm.id,
    accountId: flatAccount.id,
    warmup: FLAT_WARMUP,
    checkpointEvery,
  });
  const flatGrowth = (pluginFlat.finalRss ?? 0) - pluginFlat.baselineRss;
  const rawFlatGrowth = (rawFlat.finalRss ?? 0) - rawFlat.baselineRss;
  const flatOk = pluginFlat.fetched === FLAT_WARMUP + flatMessages;
  const growthMib = flatGrowth / 1024 / 1024;

  return {
    rows: [
      {
        id: 'memory.40mib.plugin',
        metric: `${largeMb} MiB message: peak RSS growth`,
        value: pluginGrowth,
        raw: rawGrowth,
        shown: mib(pluginGrowth),
        rawShown: mib(rawGrowth),
        ratio: largeRatio,
        ratioOf: 'plugin growth/size',
        budget: '<= 2.5',
        pass: largeOk ? withinBudget(largeRatio, '<= 2.5') : null,
        note: `message ${mib(size)} (${size} bytes), into the host's TicketStore (SQLite BLOB); raw = imapflow fetchOne BODY.PEEK[] = ${(rawGrowth / size).toFixed(2)}x; peak from ${pluginLarge.peakSource ?? '?'} (sampled peak ${mib((pluginLarge.sampledPeakRss ?? 0) - pluginLarge.baselineRss)}); plugin fetch.maxMessageBytes raised to 64 MiB (default 25 MiB would leave it on the server)${largeOk ? '' : `; FAILED: the plugin fetched ${pluginLarge.fetched} message(s) of ${pluginLarge.bytes} bytes`}`,
      },
      {
        id: 'memory.40mib.host',
        metric: `${largeMb} MiB message, minimal host ingest`,
        value: minimalGrowth,
        raw: rawGrowth,
        shown: mib(minimalGrowth),
        rawShown: mib(rawGrowth),
        ratio: minimalGrowth / size,
        ratioOf: 'plugin growth/size',
        budget: '<= 2.5',
        pass: minimalOk ? withinBudget(minimalGrowth / size, '<= 2.5') : null,
        note: `the same fetch into an in-memory host that keeps only a digest: the plugin's own share without the reference host's SQLite BLOB insert${minimalOk ? '' : `; FAILED: fetched ${minimalLarge.fetched} message(s) of ${minimalLarge.bytes} bytes`}`,
      },
      {
        id: 'memory.flat',
        metric: `memory flat across ${flatMessages} small msgs`,
        value: flatGrowth,
        raw: rawFlatGrowth,
        shown: `${growthMib >= 0 ? '+' : ''}${growthMib.toFixed(1)} MiB`,
        rawShown: `${rawFlatGrowth >= 0 ? '+' : ''}${(rawFlatGrowth / 1024 / 1024).toFixed(1)} MiB`,
        ratio: growthMib,
        ratioOf: 'RSS growth MiB',
        budget: `<= ${FLAT_BUDGET_MIB}`,
        pass: flatOk ? withinBudget(growthMib, `<= ${FLAT_BUDGET_MIB}`) : null,
        note: `RSS after gc ${mib(pluginFlat.baselineRss)} -> ${mib(pluginFlat.finalRss ?? 0)} (heap ${mib(pluginFlat.checkpoints?.[0]?.heapUsed ?? 0)} -> ${mib(pluginFlat.checkpoints?.at(-1)?.heapUsed ?? 0)}), after a warm-up of ${FLAT_WARMUP}; RSS MiB every ${checkpointEvery}: ${(pluginFlat.checkpoints ?? []).map((c) => (c.rss / 1024 / 1024).toFixed(0)).join(' ')}; ${pluginFlat.fetched} messages (${(pluginFlat.bytes / 1024 / 1024).toFixed(1)} MiB) in ${(pluginFlat.ms / 1000).toFixed(0)} s${flatOk ? '' : `; FAILED: the plugin fetched ${pluginFlat.fetched} of ${FLAT_WARMUP + flatMessages}`}`,
      },
    ],
    details: {
      large: { size, plugin: pluginLarge, minimalHost: minimalLarge, raw: rawLarge },
      flat: { plugin: pluginFlat, raw: rawFlat },
    },
  };
}
