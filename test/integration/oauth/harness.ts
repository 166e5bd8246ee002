/**
 * The OAuth core over the real pieces: knex repositories on a fresh database, the simple-oauth2 adapter
 * talking https to the local OAuth server (its test CA trusted), and a capturing logger to scan for secrets.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createKnexRepositories, type KnexRepositories } from '../../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../../adapters/knex/migration-source';
import { SimpleOAuth2Client } from '../../../adapters/simple-oauth2/simple-oauth2-client';
import { parseConfig } from '../../../plugin/config';
import { createOAuthServices, type OAuthServices } from '../../../plugin/oauth/oauth-services';
import type { TokenServiceOptions } from '../../../plugin/oauth/token-service';
import type { MailFetcher } from '../../../plugin/ports/mail-fetcher';
import { systemClock } from '../../../plugin/ports/clock';
import { completeAuthorization, type OAuthServerHandle } from '../../helpers/test-env';
import { TEST_REDIRECT_URI } from '../../helpers/test-plugin-host';
import { createTestSecrets } from '../../helpers/test-secrets';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeMailServer } from '../../helpers/fakes/fake-mail-server';
import { MemoryNotify } from '../../helpers/memory-notify';

/** One assembled core. */
export interface Core {
  readonly knex: Knex;
  readonly repositories: KnexRepositories;
  readonly services: OAuthServices;
  readonly oauthClient: SimpleOAuth2Client;
  readonly logger: CapturingLogger;
  readonly notify: MemoryNotify;
  readonly secretKey: Buffer;
}

/**
 * @param knex - a fresh database (migrated here)
 * @param server - the local OAuth server (its CA is trusted)
 * @param options - a mail fetcher (default: refuses every login), token service tuning, a shared secret key
 */
export async function buildCore(
  knex: Knex,
  server: OAuthServerHandle,
  options: {
    mailFetcher?: MailFetcher;
    mailCaCertPem?: string;
    tokenOptions?: TokenServiceOptions;
    secretKey?: Buffer;
    timeoutMs?: number;
  } = {},
): Promise<Core> {
  await migrateLatest(knex);
  const secretKey = options.secretKey ?? randomBytes(32);
  const repositories = createKnexRepositories({ knex, secrets: createTestSecrets(secretKey) });
  const logger = new CapturingLogger();
  const notify = new MemoryNotify();
  const oauthClient = new SimpleOAuth2Client({ caCertPem: server.caCertPem, timeoutMs: options.timeoutMs ?? 5_000 });
  const services = createOAuthServices({
    repositories,
    notify,
    logger,
    clock: systemClock,
    oauthClient,
    mailFetcher: options.mailFetcher ?? new FakeMailServer(),
    mailCaCertPem: options.mailCaCertPem ?? null,
    redirectUri: TEST_REDIRECT_URI,
    config: parseConfig({}),
    tokenOptions: options.tokenOptions,
  });
  return { knex, repositories, services, oauthClient, logger, notify, secretKey };
}

/** Creates an app registration pointing at the local server, imitating `profile`'s provider kind. */
export async function createApp(
  core: Core,
  server: OAuthServerHandle,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const app = await core.services.apps.create(
    {
      name: `Local ${server.profile}`,
      provider: server.profile,
      issuerUrl: server.issuer,
      clientId: server.client.clientId,
      clientSecret: server.client.clientSecret,
      ...extra,
    },
    'admin-1',
  );
  return app.id;
}

/**
 * The whole Connect over HTTP: start, the browser's part at the local server, then the callback.
 * @returns the callback's query parameters and the result (or the error thrown)
 */
export async function connect(
  core: Core,
  server: OAuthServerHandle,
  accountId: string,
  login: string,
): Promise<{ params: Record<string, string>; result: unknown }> {
  const { authorizationUrl } = await core.services.authorization.start(accountId, 'admin-1');
  const user = server.user(login);
  const redirect = await completeAuthorization(authorizationUrl, {
    login: user.login,
    password: user.password!,
    caCertPem: server.caCertPem,
  });
  const params = Object.fromEntries(new URL(redirect).searchParams);
  const result = await core.services.authorization.complete(params, 'admin-1').catch((error: unknown) => error);
  return { params, result };
}

/** Makes the stored access token look expired (as if an hour had passed), without touching anything else. */
export async function expireStoredToken(knex: Knex, accountId: string): Promise<void> {
  await knex('oauth2_mail_tokens')
    .where({ account_id: Number(accountId) })
    .update({ access_expires_at: Date.now() - 1_000 });
}

/** Every row of every plugin table, as text (to look for plaintext secrets). */
export async function dumpPluginTables(knex: Knex): Promise<string> {
  const tables = [
    'oauth2_mail_apps',
    'oauth2_mail_accounts',
    'oauth2_mail_tokens',
    'oauth2_mail_auth_requests',
    'oauth2_mail_events',
  ];
  const dump: Record<string, unknown> = {};
  for (const table of tables) dump[table] = await knex(table).select('*');
  return JSON.stringify(dump);
}
