/**
 * Budget 4: many concurrent token requests at expiry across several host processes on one database -> exactly one
 * refresh at the OAuth server, and every caller gets the same new token.
 */
import type { BenchEnvironment } from './bench-environment';
import { withinBudget, type BenchRow } from './bench-report';
import { runTokenRace } from './child-runner';

/** The mailbox of the token race. */
export const RACE_MAILBOX = 'race@example.test';

/**
 * Measures the refresh race.
 * @param env - the bench world
 * @param requests - concurrent requests in total
 * @param processes - host processes sharing them
 */
export async function benchTokenRace(
  env: BenchEnvironment,
  requests: number,
  processes: number,
): Promise<{ rows: BenchRow[]; details: Record<string, unknown> }> {
  const account = await env.addAccount(RACE_MAILBOX);
  // As if the hour had passed: the stored access token is expired, the refresh token is good.
  await env.plugin
    .knex('oauth2_mail_tokens')
    .where({ account_id: Number(account.id) })
    .update({ access_expires_at: Date.now() - 1000 });
  const perProcess = Math.ceil(requests / processes);
  const results = await runTokenRace(
    processes,
    { settings: env.settings, accountId: account.id, requests: perProcess },
    () => env.oauthServer.resetStats(),
  );
  const stats = await env.oauthServer.stats();
  const shas = new Set(results.flatMap((r) => r.tokenShas));
  const answered = results.reduce((sum, r) => sum + r.answered, 0);
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  const total = perProcess * processes;
  const consistent = errors === 0 && answered === total && shas.size === 1;
  const slowest = Math.max(...results.map((r) => r.ms));
  return {
    rows: [
      {
        id: 'tokens.race',
        metric: `${total} token requests, ${processes} processes`,
        value: stats.tokenRequests,
        raw: null,
        shown: `${stats.refreshRequests} refresh (${stats.tokenRequests} token req.)`,
        rawShown: '-',
        ratio: stats.tokenRequests,
        ratioOf: 'token requests',
        budget: '= 1',
        pass: consistent ? withinBudget(stats.tokenRequests, '= 1') && stats.refreshRequests === 1 : null,
        note: `${answered}/${total} answered with ${shas.size} distinct token(s), ${errors} error(s)${results.find((r) => r.firstError)?.firstError ? ` (first: ${results.find((r) => r.firstError)?.firstError})` : ''}; all answered within ${slowest.toFixed(0)} ms; counted at the OAuth server`,
      },
    ],
    details: { results, stats },
  };
}
