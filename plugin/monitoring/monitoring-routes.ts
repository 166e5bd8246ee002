/**
 * `GET /health` (JSON, 200 for ok and degraded, 503 for failing) and `GET /metrics` (Prometheus text format) under
 * the plugin's mount point, for monitoring: the host lets in a signed-in admin or `Authorization: Bearer <monitoring
 * token>` (route auth `monitoring`, host contract 1.2).
 */
import type { AccountRepository } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { HostResponse, RouteDefinition } from '../ports/host';
import type { MetricsPort } from '../ports/metrics';
import type { HealthCheck } from './health-check';

/** The route ids (declared in plugin.json `contributes.routes`). */
export const MONITORING_ROUTE_IDS = { health: 'oauth2-mail.health', metrics: 'oauth2-mail.metrics' } as const;

/** Dependencies of {@link monitoringRoutes}. */
export interface MonitoringRoutesDeps {
  readonly health: Pick<HealthCheck, 'report'>;
  readonly metrics: Pick<MetricsPort, 'render'>;
  readonly accounts: Pick<AccountRepository, 'list'>;
  readonly clock: Clock;
}

/** The health route's answer: the report, 503 when failing. */
export async function healthResponse(health: Pick<HealthCheck, 'report'>): Promise<HostResponse> {
  const report = await health.report();
  return { kind: 'json', status: report.status === 'failing' ? 503 : 200, body: report };
}

/**
 * The two monitoring routes.
 * @param deps - the health check, the metrics, the accounts (for the gauges) and the clock
 */
export function monitoringRoutes(deps: MonitoringRoutesDeps): RouteDefinition[] {
  return [
    {
      id: MONITORING_ROUTE_IDS.health,
      method: 'GET',
      path: '/health',
      auth: 'monitoring',
      handle: () => healthResponse(deps.health),
    },
    {
      id: MONITORING_ROUTE_IDS.metrics,
      method: 'GET',
      path: '/metrics',
      auth: 'monitoring',
      async handle(): Promise<HostResponse> {
        let accounts;
        try {
          accounts = await deps.accounts.list();
        } catch {
          // The counters still tell something; the gauges are left out while the database does not answer.
          accounts = null;
        }
        const now = deps.clock.now();
        const accountsByStatus: Record<string, number> = {};
        for (const account of accounts ?? [])
          accountsByStatus[account.status] = (accountsByStatus[account.status] ?? 0) + 1;
        const sinceLastSuccess = (accounts ?? []).map((account) => ({
          accountId: account.id,
          seconds: account.lastSuccessAt === null ? null : Math.max(0, (now - account.lastSuccessAt) / 1000),
        }));
        const { contentType, text } = await deps.metrics.render({ accountsByStatus, sinceLastSuccess });
        return { kind: 'text', status: 200, contentType, body: text };
      },
    },
  ];
}
