/** {@link MetricsPort} with prom-client, on a Registry of this plugin instance only (never the global one). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageOutcome, MetricsPort, MetricsSnapshot, TokenGrant } from '../../plugin/ports/metrics';

/** Poll durations in seconds: a quick empty poll up to the default account timeout (300 s). */
const POLL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The plugin's metrics with prom-client. */
export class PromClientMetrics implements MetricsPort {
  private readonly registry = new Registry();
  private readonly messagesTotal: Counter<'account' | 'outcome'>;
  private readonly tokenRequestsTotal: Counter<'grant' | 'result'>;
  private readonly pollFailuresTotal: Counter<'account' | 'code'>;
  private readonly pollDurationSeconds: Histogram<'account'>;
  private readonly accounts: Gauge<'status'>;
  private readonly sinceLastSuccess: Gauge<'account'>;

  constructor() {
    const registers = [this.registry];
    this.messagesTotal = new Counter({
      name: 'oauth2_mail_messages_total',
      help: 'Fetched messages per account by outcome: ingested, duplicate, skipped (too large), quarantined',
      labelNames: ['account', 'outcome'],
      registers,
    });
    this.tokenRequestsTotal = new Counter({
      name: 'oauth2_mail_token_requests_total',
      help: 'Token endpoint requests by grant and result (ok, or the error code)',
      labelNames: ['grant', 'result'],
      registers,
    });
    this.pollFailuresTotal = new Counter({
      name: 'oauth2_mail_poll_failures_total',
      help: 'Failed account polls by account and error code',
      labelNames: ['account', 'code'],
      registers,
    });
    this.pollDurationSeconds = new Histogram({
      name: 'oauth2_mail_poll_duration_seconds',
      help: 'How long one account poll took',
      labelNames: ['account'],
      buckets: POLL_BUCKETS,
      registers,
    });
    this.accounts = new Gauge({
      name: 'oauth2_mail_accounts',
      help: 'Mail accounts by status',
      labelNames: ['status'],
      registers,
    });
    this.sinceLastSuccess = new Gauge({
      name: 'oauth2_mail_seconds_since_last_successful_poll',
      help: 'Seconds since the last successful poll of each account (absent when it never had one)',
      labelNames: ['account'],
      registers,
    });
  }

  messages(accountId: string, outcome: MessageOutcome, count: number): void {
    if (count > 0) this.messagesTotal.inc({ account: accountId, outcome }, count);
  }

  tokenRequest(grant: TokenGrant, result: string): void {
    this.tokenRequestsTotal.inc({ grant, result });
  }

  pollFailed(accountId: string, code: string): void {
    this.pollFailuresTotal.inc({ account: accountId, code });
  }

  pollDuration(accountId: string, seconds: number): void {
    this.pollDurationSeconds.observe({ account: accountId }, seconds);
  }

  async render(snapshot: MetricsSnapshot): Promise<{ readonly contentType: string; readonly text: string }> {
    this.accounts.reset();
    for (const [status, count] of Object.entries(snapshot.accountsByStatus)) this.accounts.set({ status }, count);
    this.sinceLastSuccess.reset();
    for (const { accountId, seconds } of snapshot.sinceLastSuccess)
      if (seconds !== null) this.sinceLastSuccess.set({ account: accountId }, seconds);
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
