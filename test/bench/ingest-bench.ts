/**
 * Budget 1: ingest throughput. N generated messages of 5-20 KB; the plugin's polling cycle fetches them into the
 * reference host's TicketStore (same SQLite file as the plugin's tables: ticket row with the raw bytes, delivery
 * ledger, cursor), against raw imapflow fetching the same messages' full sources into memory. Each repetition uses
 * its own mailbox (identical content) and a freshly connected account, so every run starts from an empty cursor.
 */
import type { BenchEnvironment } from './bench-environment';
import { benchMessages } from './bench-mail';
import { assembleBenchPlugin, type BenchPlugin } from './bench-plugin';
import { median, mib, withinBudget, type BenchRow } from './bench-report';
import { rawFetchAll, rawFetchEach, type RawTarget } from './raw-imap';

/** The mailboxes of the ingest runs: one per repetition plus one for the default post-fetch action. */
export function ingestMailboxes(reps: number): string[] {
  return [...Array.from({ length: reps }, (_, i) => `ingest-${i + 1}@example.test`), 'ingest-seen@example.test'];
}

interface IngestRun {
  readonly ms: number;
  readonly messages: number;
  readonly bytes: number;
}

async function pluginRun(plugin: BenchPlugin, accountId: string): Promise<IngestRun> {
  const bytesBefore = plugin.minimalHost?.bytes ?? 0;
  const started = performance.now();
  const [result] = await plugin.poll(accountId);
  const ms = performance.now() - started;
  if (!result || result.outcome !== 'polled')
    throw new Error(
      `ingest bench: the poll ended ${result?.outcome ?? 'without a result'}${result?.error ? `: ${result.error.code}` : ''}`,
    );
  if (plugin.minimalHost) return { ms, messages: result.fetched, bytes: plugin.minimalHost.bytes - bytesBefore };
  const row = (await plugin.knex('host_tickets').where({ account_id: accountId }).sum({ bytes: 'size' }).first()) as {
    bytes: number | string | null;
  };
  return { ms, messages: result.fetched, bytes: Number(row.bytes ?? 0) };
}

const rate = (run: IngestRun) => run.messages / (run.ms / 1000);

/**
 * Measures ingest throughput.
 * @param env - the bench world
 * @param count - messages per run
 * @param reps - repetitions (median)
 */
export async function benchIngest(
  env: BenchEnvironment,
  count: number,
  reps: number,
): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const mailboxes = ingestMailboxes(reps);
  const repMailboxes = mailboxes.slice(0, reps);
  const seenMailbox = mailboxes[reps];
  const messages = benchMessages(count, 'ingest');
  const seededBytes = messages.reduce((sum, raw) => sum + raw.length, 0);
  for (const mailbox of mailboxes) {
    const status = await env.dovecot.seed(mailbox, messages);
    if (status.messages !== count)
      throw new Error(`ingest bench: ${mailbox} holds ${status.messages} messages, expected ${count}`);
  }
  const pluginRuns: IngestRun[] = [];
  const rawRuns: IngestRun[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const mailbox = repMailboxes[rep];
    const account = await env.addAccount(mailbox, { postFetch: 'keep', initialSync: 'all' });
    const grant = await env.plugin.oauth.tokenService.getAccessToken(account.id);
    const target: RawTarget = {
      port: env.dovecot.ports.imaps,
      caPem: env.dovecot.caCertPem,
      user: mailbox,
      accessToken: grant.accessToken,
    };
    const measureRaw = async () => {
      const raw = await rawFetchAll(target, true);
      rawRuns.push({ ms: raw.ms, messages: raw.messages, bytes: raw.bytes });
    };
    const measurePlugin = async () => {
      pluginRuns.push(await pluginRun(env.plugin, account.id));
    };
    if (rep % 2 === 0) {
      await measureRaw();
      await measurePlugin();
    } else {
      await measurePlugin();
      await measureRaw();
    }
  }
  // Attribution runs, once each: the plugin into a host that keeps nothing (a new account on the first mailbox, which
  // "keep" left untouched), raw imapflow with one FETCH per message (the plugin's pattern before batch settlement),
  // the default post-fetch action.
  const minimalPlugin = await assembleBenchPlugin(env.settings, { host: 'minimal' });
  let minimalRun: IngestRun;
  try {
    minimalRun = await pluginRun(
      minimalPlugin,
      (await env.addAccount(repMailboxes[0], { postFetch: 'keep', initialSync: 'all' })).id,
    );
  } finally {
    await minimalPlugin.close();
  }
  const eachAccount = await env.addAccount(repMailboxes[0], { postFetch: 'keep', initialSync: 'all' });
  const eachGrant = await env.plugin.oauth.tokenService.getAccessToken(eachAccount.id);
  const eachRun = await rawFetchEach({
    port: env.dovecot.ports.imaps,
    caPem: env.dovecot.caCertPem,
    user: repMailboxes[0],
    accessToken: eachGrant.accessToken,
  });
  const seenAccount = await env.addAccount(seenMailbox, { postFetch: 'mark_seen', initialSync: 'all' });
  const seenRun = await pluginRun(env.plugin, seenAccount.id);

  const complete =
    [...pluginRuns, seenRun, minimalRun, eachRun].every((run) => run.messages === count) &&
    rawRuns.every((run) => run.messages === count);
  const plugin = median(pluginRuns.map(rate));
  const raw = median(rawRuns.map(rate));
  const ratio = plugin / raw;
  const perSecond = (value: number, bytesPerMessage: number) =>
    `${value.toFixed(0)} msg/s (${((value * bytesPerMessage) / 1024 / 1024).toFixed(1)} MiB/s)`;
  const avg = seededBytes / count;
  const seenTimeRatio = plugin / rate(seenRun);
  return {
    rows: [
      {
        id: 'ingest.ticketstore',
        metric: `ingest throughput (${count} msgs)`,
        value: plugin,
        raw,
        shown: perSecond(plugin, avg),
        rawShown: perSecond(raw, avg),
        ratio,
        ratioOf: 'plugin/raw',
        budget: '>= 0.6',
        pass: complete ? withinBudget(ratio, '>= 0.6') : null,
        note: `${count} messages of 5-20 KB (${mib(seededBytes)}), median of ${reps}; plugin: poll cycle -> host TicketStore on SQLite, post-fetch "keep"; raw: one FETCH 1:* BODY.PEEK[] into memory${complete ? '' : '; FAILED: a run did not fetch every message'}`,
      },
      {
        id: 'ingest.minimal',
        metric: 'ingest, minimal host ingest',
        value: rate(minimalRun),
        raw,
        shown: perSecond(rate(minimalRun), avg),
        rawShown: perSecond(raw, avg),
        ratio: rate(minimalRun) / raw,
        ratioOf: 'plugin/raw',
        budget: '>= 0.9',
        pass: withinBudget(rate(minimalRun) / raw, '>= 0.9'),
        note: 'attribution: the plugin (ledger + cursor on SQLite, one FETCH per settled group) into an in-memory host that keeps a digest only',
      },
      {
        id: 'ingest.raw_per_message',
        metric: 'ingest, raw one FETCH per message',
        value: plugin,
        raw: rate(eachRun),
        shown: perSecond(plugin, avg),
        rawShown: perSecond(rate(eachRun), avg),
        ratio: plugin / rate(eachRun),
        ratioOf: 'plugin/raw',
        budget: '-',
        pass: null,
        note: 'attribution: raw imapflow with one fetchOne BODY.PEEK[] per UID after a UID SEARCH (sequential), the pattern before batch settlement',
      },
      {
        id: 'ingest.mark_seen',
        metric: 'ingest, post-fetch mark_seen (default) vs keep',
        value: rate(seenRun),
        raw: plugin,
        shown: perSecond(rate(seenRun), avg),
        rawShown: `keep: ${perSecond(plugin, avg)}`,
        ratio: seenTimeRatio,
        ratioOf: 'time mark_seen/keep',
        budget: '<= 1.15',
        pass: complete ? withinBudget(seenTimeRatio, '<= 1.15') : null,
        note: 'the same messages with the default post-fetch action (one UID STORE +FLAGS \\Seen per settled group) against "keep"',
      },
    ],
    details: { pluginRuns, rawRuns, minimalRun, rawEachRun: eachRun, seenRun, seededBytes },
  };
}
