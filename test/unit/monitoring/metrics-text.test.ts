/**
 * `/metrics` renders valid Prometheus text (parsed strictly here; prom-client has no parser) with the counters,
 * gauges and histogram the plugin records, on a registry of its own: two plugin instances never share counts.
 */
import { PromClientMetrics } from '../../../adapters/prometheus/prom-client-metrics';
import { meteredOAuthClient } from '../../../plugin/monitoring/metered-oauth-client';
import { PluginError } from '../../../plugin/errors';
import type { OAuthClient } from '../../../plugin/ports/oauth-client';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text';

it('renders every metric as Prometheus text that parses, with the values recorded', async () => {
  const metrics = new PromClientMetrics();
  metrics.messages('7', 'ingested', 3);
  metrics.messages('7', 'duplicate', 1);
  metrics.messages('7', 'skipped', 0);
  metrics.messages('7', 'quarantined', 2);
  metrics.pollFailed('7', 'ERR_MAIL_PORT_CLOSED');
  metrics.pollFailed('7', 'ERR_MAIL_PORT_CLOSED');
  metrics.pollDuration('7', 0.3);
  metrics.tokenRequest('refresh_token', 'ok');
  metrics.tokenRequest('refresh_token', 'ERR_CLIENT_INVALID');
  const { contentType, text } = await metrics.render({
    accountsByStatus: { connected: 2, retrying: 1 },
    sinceLastSuccess: [
      { accountId: '7', seconds: 42 },
      { accountId: '8', seconds: null },
    ],
  });
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  const parsed = parsePrometheusText(text);
  expect(sampleValue(parsed, 'oauth2_mail_messages_total', { account: '7', outcome: 'ingested' })).toBe(3);
  expect(sampleValue(parsed, 'oauth2_mail_messages_total', { account: '7', outcome: 'quarantined' })).toBe(2);
  expect(sampleValue(parsed, 'oauth2_mail_messages_total', { account: '7', outcome: 'skipped' })).toBeUndefined();
  expect(sampleValue(parsed, 'oauth2_mail_poll_failures_total', { account: '7', code: 'ERR_MAIL_PORT_CLOSED' })).toBe(
    2,
  );
  expect(sampleValue(parsed, 'oauth2_mail_poll_duration_seconds_count', { account: '7' })).toBe(1);
  expect(sampleValue(parsed, 'oauth2_mail_poll_duration_seconds_bucket', { account: '7', le: '0.5' })).toBe(1);
  expect(sampleValue(parsed, 'oauth2_mail_poll_duration_seconds_bucket', { account: '7', le: '0.25' })).toBe(0);
  expect(sampleValue(parsed, 'oauth2_mail_token_requests_total', { grant: 'refresh_token', result: 'ok' })).toBe(1);
  expect(sampleValue(parsed, 'oauth2_mail_accounts', { status: 'retrying' })).toBe(1);
  expect(sampleValue(parsed, 'oauth2_mail_seconds_since_last_successful_poll', { account: '7' })).toBe(42);
  expect(sampleValue(parsed, 'oauth2_mail_seconds_since_last_successful_poll', { account: '8' })).toBeUndefined();
  expect([...parsed.types]).toEqual(
    expect.arrayContaining([
      ['oauth2_mail_messages_total', 'counter'],
      ['oauth2_mail_token_requests_total', 'counter'],
      ['oauth2_mail_poll_failures_total', 'counter'],
      ['oauth2_mail_poll_duration_seconds', 'histogram'],
      ['oauth2_mail_accounts', 'gauge'],
      ['oauth2_mail_seconds_since_last_successful_poll', 'gauge'],
    ]),
  );

  // A second instance (a re-activated plugin) starts from zero: no global registry.
  const other = parsePrometheusText(
    (await new PromClientMetrics().render({ accountsByStatus: {}, sinceLastSuccess: [] })).text,
  );
  expect(sampleValue(other, 'oauth2_mail_poll_failures_total')).toBeUndefined();
});

it('the gauges follow the database at each render: an account gone is gone from the output', async () => {
  const metrics = new PromClientMetrics();
  await metrics.render({ accountsByStatus: { connected: 1 }, sinceLastSuccess: [{ accountId: '1', seconds: 5 }] });
  const parsed = parsePrometheusText((await metrics.render({ accountsByStatus: {}, sinceLastSuccess: [] })).text);
  expect(sampleValue(parsed, 'oauth2_mail_accounts', { status: 'connected' })).toBeUndefined();
  expect(sampleValue(parsed, 'oauth2_mail_seconds_since_last_successful_poll', { account: '1' })).toBeUndefined();
});

it('the parser is strict: a line a scraper would refuse throws', () => {
  expect(() => parsePrometheusText('oauth2_mail_x{account="1"} many\n')).toThrow(/not a sample value/);
  expect(() => parsePrometheusText('oauth2_mail_x{account=1} 1\n')).toThrow(/bad labels/);
  expect(() => parsePrometheusText('# TYPE oauth2_mail_x countr\n')).toThrow(/bad type/);
  expect(() => parsePrometheusText('2bad 1\n')).toThrow(/not a sample line/);
});

it('token requests are counted by grant and result; a pending device poll is not a result', async () => {
  const metrics = new PromClientMetrics();
  const client = {
    refresh: async () => {
      throw new PluginError('ERR_GRANT_INVALID');
    },
    clientCredentials: async () => ({ accessToken: 'a', refreshToken: null, expiresAt: 1, scope: null, idToken: null }),
    pollDeviceAuthorization: async () => ({ status: 'pending' as const }),
  } as unknown as OAuthClient;
  const metered = meteredOAuthClient(client, metrics);
  const config = {} as Parameters<OAuthClient['refresh']>[0];
  await expect(metered.refresh(config, { refreshToken: 'r' })).rejects.toMatchObject({ code: 'ERR_GRANT_INVALID' });
  await metered.clientCredentials(config, { scope: null });
  await metered.pollDeviceAuthorization(config, { deviceCode: 'd' });
  const parsed = parsePrometheusText((await metrics.render({ accountsByStatus: {}, sinceLastSuccess: [] })).text);
  expect(
    sampleValue(parsed, 'oauth2_mail_token_requests_total', { grant: 'refresh_token', result: 'ERR_GRANT_INVALID' }),
  ).toBe(1);
  expect(sampleValue(parsed, 'oauth2_mail_token_requests_total', { grant: 'client_credentials', result: 'ok' })).toBe(
    1,
  );
  expect(sampleValue(parsed, 'oauth2_mail_token_requests_total', { grant: 'device_code' })).toBeUndefined();
});
