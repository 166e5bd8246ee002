/**
 * Budget 2: an idle cycle with valid tokens. Accounts whose mail was already fetched; one scheduled-style cycle
 * over all of them (token keep-alive, leases, token from the store, connect + auth + SELECT, nothing new, LOGOUT)
 * against raw imapflow's connect + auth + SELECT + LOGOUT of the same mailboxes at the same concurrency.
 */
import type { BenchEnvironment } from './bench-environment';
import { benchMessages } from './bench-mail';
import { median, withinBudget, type BenchRow } from './bench-report';
import { rawConnectSelect, type RawTarget } from './raw-imap';

/** The mailboxes of the idle cycle. */
/** The idle budget's size (docs/architecture.md#performance-budget): the row ids name it. */
export const IDLE_BUDGET_MAILBOXES = 500;

export function idleMailboxes(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `idle-${i + 1}@example.test`);
}

/**
 * Measures the idle cycle. Must run while the idle accounts are the only connected ones (the cycle polls all).
 * @param env - the bench world
 * @param count - mailboxes
 * @param reps - repetitions (median)
 */
export async function benchIdleCycle(
  env: BenchEnvironment,
  count: number,
  reps: number,
): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const mailboxes = idleMailboxes(count);
  const targets: RawTarget[] = [];
  for (const mailbox of mailboxes) {
    await env.dovecot.seed(mailbox, benchMessages(5, mailbox.split('@')[0]));
    const account = await env.addAccount(mailbox, { postFetch: 'mark_seen' });
    const grant = await env.plugin.oauth.tokenService.getAccessToken(account.id);
    targets.push({
      port: env.dovecot.ports.imaps,
      caPem: env.dovecot.caCertPem,
      user: mailbox,
      accessToken: grant.accessToken,
    });
  }
  // The first cycle fetches the seeded mail; the second is the warm-up of the idle path.
  const first = await env.plugin.poll();
  const fetched = first.reduce((sum, r) => sum + r.fetched, 0);
  if (fetched !== count * 5) throw new Error(`idle bench: the first cycle fetched ${fetched} of ${count * 5} messages`);
  await env.plugin.poll();
  await rawConnectSelect(targets, env.plugin.config.fetch.concurrency);

  await env.oauthServer.resetStats();
  const pluginMs: number[] = [];
  const rawMs: number[] = [];
  const outcomes = new Set<string>();
  for (let rep = 0; rep < reps; rep++) {
    const measurePlugin = async () => {
      const started = performance.now();
      const results = await env.plugin.poll();
      pluginMs.push(performance.now() - started);
      for (const result of results) outcomes.add(`${result.outcome}/${result.fetched}`);
    };
    const measureRaw = async () => {
      rawMs.push(await rawConnectSelect(targets, env.plugin.config.fetch.concurrency));
    };
    // Alternating the order spreads the noise of a shared machine over both sides.
    if (rep % 2 === 0) {
      await measurePlugin();
      await measureRaw();
    } else {
      await measureRaw();
      await measurePlugin();
    }
  }
  const stats = await env.oauthServer.stats();
  const plugin = median(pluginMs);
  const raw = median(rawMs);
  const ratio = plugin / raw;
  const idleOk = outcomes.size === 1 && outcomes.has('polled/0');
  const label = `${count} mailboxes, concurrency ${env.plugin.config.fetch.concurrency}, median of ${reps}`;
  return {
    rows: [
      {
        id: 'idle.500.token_requests',
        metric: 'idle cycle: token requests',
        value: stats.tokenRequests,
        raw: null,
        shown: `${stats.tokenRequests} in ${reps} cycles`,
        rawShown: '-',
        ratio: stats.tokenRequests,
        ratioOf: 'count',
        budget: '= 0',
        pass: withinBudget(stats.tokenRequests, '= 0'),
        note: `counted at the OAuth server's /__test/stats (refresh ${stats.refreshRequests}, code ${stats.codeRequests}; Dovecot's introspections: ${stats.introspectionRequests})`,
      },
      {
        id: 'idle.500.time',
        metric: 'idle cycle: time',
        value: plugin,
        raw,
        shown: `${plugin.toFixed(1)} ms`,
        rawShown: `${raw.toFixed(1)} ms`,
        ratio,
        ratioOf: 'plugin/raw',
        budget: '<= 1.2',
        pass: idleOk ? withinBudget(ratio, '<= 1.2') : null,
        note: `${label}${count >= IDLE_BUDGET_MAILBOXES ? '' : ` (the budget is stated for ${IDLE_BUDGET_MAILBOXES}; --idle-accounts ${IDLE_BUDGET_MAILBOXES} measures it)`}; raw = connect + auth + SELECT + LOGOUT${idleOk ? '' : `; FAILED: unexpected poll outcomes ${[...outcomes].join(', ')}`}`,
      },
    ],
    details: { pluginMs, rawMs, stats, outcomes: [...outcomes] },
  };
}
