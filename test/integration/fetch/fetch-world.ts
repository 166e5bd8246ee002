/**
 * The polling cycle assembled as production assembles it (createOAuthServices + createFetchServices over the
 * knex repositories, the knex ledger, the imapflow fetcher, the reference host's ticket store and notifications),
 * against a real database, the local OAuth server and a private Dovecot. Accounts are connected through the
 * real Connect flow (authorization URL -> completeAuthorization -> callback).
 */
import type { Knex } from 'knex';
import { ImapFlowMailFetcher } from '../../../adapters/imapflow/imapflow-mail-fetcher';
import { KnexMailLedger } from '../../../adapters/knex/knex-mail-ledger';
import { createKnexRepositories, type KnexRepositories } from '../../../adapters/knex/knex-repositories';
import { migrateLatest } from '../../../adapters/knex/migration-source';
import { SimpleOAuth2Client } from '../../../adapters/simple-oauth2/simple-oauth2-client';
import { migrateHost } from '../../../host/host-migrations';
import { NotificationCenter } from '../../../host/notifications';
import { TicketStore } from '../../../host/ticket-store';
import { parseConfig, type PluginConfig } from '../../../plugin/config';
import type { AccountPollResult } from '../../../plugin/fetch/account-poll-result';
import { createFetchServices, type FetchServices } from '../../../plugin/fetch/fetch-services';
import { createOAuthServices, type OAuthServices } from '../../../plugin/oauth/oauth-services';
import type { MailAccount } from '../../../plugin/ports/account-repository';
import { systemClock } from '../../../plugin/ports/clock';
import type { InboundMessage, SecretsPort } from '../../../plugin/ports/host';
import { createTestSecrets } from '../../helpers/test-secrets';
import {
  completeAuthorization,
  localMicrosoftApp,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { CapturingLogger } from '../../helpers/capturing-logger';

/** The plugin id the host scopes notifications by. */
export const PLUGIN_ID = 'oauth2-mail';

/** One assembled plugin + host over a database. */
export interface FetchWorld {
  readonly knex: Knex;
  readonly config: PluginConfig;
  readonly repositories: KnexRepositories;
  readonly ledger: KnexMailLedger;
  readonly tickets: TicketStore;
  readonly notifications: NotificationCenter;
  readonly logger: CapturingLogger;
  readonly oauth: OAuthServices;
  readonly fetch: FetchServices;
  readonly appId: string;
  /** Creates an account for `mailbox` and connects it by signing `login` in (default: the mailbox's user). */
  addAccount(mailbox: string, fields?: Record<string, unknown>, login?: string): Promise<MailAccount>;
  /** Runs Connect again for an existing account (re-authorization). */
  reconnect(accountId: string, login: string): Promise<MailAccount>;
  /** Polls every enabled, connected account now (or one). */
  poll(accountId?: string): Promise<AccountPollResult[]>;
  /** Open notifications of the plugin, with how often each incident was reported. */
  openNotifications(): Promise<{ key: string; title: string; occurrences: number }[]>;
}

/** Options of {@link createFetchWorld}. */
export interface FetchWorldOptions {
  readonly knex: Knex;
  readonly oauthServer: OAuthServerHandle;
  readonly dovecot: DovecotHandle;
  /** Plugin config (fetch limits …); allowInsecureLoopback is on. */
  readonly config?: Record<string, unknown>;
  /** Skip migrations (a second world on the same database). */
  readonly migrated?: boolean;
  /** How tokens are sealed (default: a random test key); the host's AesGcmSecrets when child processes share the database. */
  readonly secrets?: SecretsPort;
  /** Runs before each host ingest (a test can throw, stall, or stop a server there). */
  readonly beforeIngest?: (message: InboundMessage) => Promise<void> | void;
}

/**
 * Builds the world and registers one app for the OAuth server.
 * @param options - database, servers, config
 */
export async function createFetchWorld(options: FetchWorldOptions): Promise<FetchWorld> {
  const { knex, oauthServer, dovecot } = options;
  if (!options.migrated) {
    await migrateLatest(knex);
    await migrateHost(knex);
  }
  const config = parseConfig({ allowInsecureLoopback: true, ...options.config });
  const logger = new CapturingLogger();
  const repositories = createKnexRepositories({ knex, secrets: options.secrets ?? createTestSecrets() });
  const ledger = new KnexMailLedger({ knex });
  const tickets = new TicketStore(knex);
  const notifications = new NotificationCenter(knex, logger);
  const notify = notifications.portFor(PLUGIN_ID);
  const fetcher = new ImapFlowMailFetcher({ logger: logger.child({ component: 'imap' }), allowInsecureLoopback: true });
  const oauth = createOAuthServices({
    repositories,
    notify,
    logger,
    clock: systemClock,
    oauthClient: new SimpleOAuth2Client({ caCertPem: oauthServer.caCertPem }),
    mailFetcher: fetcher,
    redirectUri: oauthServer.client.redirectUris[0],
    config,
    mailCaCertPem: dovecot.caCertPem,
  });
  const fetch = createFetchServices({
    accounts: repositories.accounts,
    events: repositories.events,
    ledger,
    tokens: oauth.tokenService,
    fetcher,
    mail: {
      ingest: async (message) => {
        await options.beforeIngest?.(message);
        return tickets.ingest(message);
      },
    },
    notify,
    logger,
    clock: systemClock,
    config,
    caCertPem: dovecot.caCertPem,
    beforeCycle: async (signal) => {
      await oauth.keepAlive.run(signal);
    },
  });
  const app = await oauth.apps.create(localMicrosoftApp(oauthServer), null);

  const world: FetchWorld = {
    knex,
    config,
    repositories,
    ledger,
    tickets,
    notifications,
    logger,
    oauth,
    fetch,
    appId: app.id,
    async addAccount(mailbox, fields = {}, login) {
      const account = await oauth.accounts.create(
        {
          appId: app.id,
          mailbox,
          host: '127.0.0.1',
          port: dovecot.ports.imaps,
          tls: 'implicit',
          initialSync: 'all',
          postFetch: 'mark_seen',
          ...fields,
        },
        'admin-1',
      );
      return world.reconnect(account.id, login ?? mailbox);
    },
    async reconnect(accountId, login) {
      const user = oauthServer.user(login);
      const { authorizationUrl } = await oauth.authorization.start(accountId, 'admin-1');
      const back = new URL(
        await completeAuthorization(authorizationUrl, {
          login: user.login,
          password: user.password ?? '',
          caCertPem: oauthServer.caCertPem,
        }),
      );
      await oauth.authorization.complete(Object.fromEntries(back.searchParams), 'admin-1');
      return (await repositories.accounts.find(accountId)) as MailAccount;
    },
    poll(accountId) {
      return fetch.cycle.run({
        signal: new AbortController().signal,
        includeNotDue: true,
        ...(accountId ? { accountId } : {}),
      });
    },
    async openNotifications() {
      const rows = (await knex('host_notifications')
        .whereNotNull('open_key')
        .select('key', 'title', 'occurrences')) as { key: string; title: string; occurrences: number | string }[];
      return rows.map((row) => ({ key: row.key, title: row.title, occurrences: Number(row.occurrences) }));
    },
  };
  return world;
}
