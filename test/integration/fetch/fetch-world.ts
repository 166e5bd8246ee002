/**
 * The plugin built as production builds it (plugin/main.ts `buildServices`) on the reference host's own scoped host
 * object (test/helpers/test-plugin-host.ts: ticket store, notifications, permission checks), against a real
 * database, the local OAuth server and a private Dovecot, their CAs trusted through the plugin config. Accounts are
 * connected through the real Connect flow (authorization URL -> completeAuthorization -> callback).
 */
import type { Knex } from 'knex';
import type { KnexRepositories } from '../../../adapters/knex/knex-repositories';
import { migrateHost } from '../../../host/host-migrations';
import type { NotificationCenter } from '../../../host/notifications';
import { TicketStore } from '../../../host/ticket-store';
import type { PluginConfig } from '../../../plugin/config';
import type { AccountPollResult } from '../../../plugin/fetch/account-poll-result';
import type { FetchServices } from '../../../plugin/fetch/fetch-services';
import { buildServices } from '../../../plugin/main';
import type { OAuthServices } from '../../../plugin/oauth/oauth-services';
import type { MailAccount } from '../../../plugin/ports/account-repository';
import type { InboundMessage, SecretsPort } from '../../../plugin/ports/host';
import type { SendService } from '../../../plugin/send/send-service';
import type { MailLedger } from '../../../plugin/ports/mail-ledger';
import { capturingPino, type CapturedLines } from '../../helpers/capturing-logger';
import {
  completeAuthorization,
  localMicrosoftApp,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../../helpers/test-env';
import { createTestPluginHost } from '../../helpers/test-plugin-host';
import { createTestSecrets } from '../../helpers/test-secrets';

/** One assembled plugin + host over a database. */
export interface FetchWorld {
  readonly knex: Knex;
  readonly config: PluginConfig;
  readonly repositories: KnexRepositories;
  readonly ledger: MailLedger;
  readonly tickets: TicketStore;
  readonly notifications: NotificationCenter;
  /** Every line the plugin and the host's notifications logged. */
  readonly logger: CapturedLines;
  readonly oauth: OAuthServices;
  readonly polling: FetchServices;
  /** Sending through the accounts (what the plugin's mail transport and Test connection use). */
  readonly sending: SendService;
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
  /** Started with `redirectUris: [TEST_REDIRECT_URI]`. */
  readonly oauthServer: OAuthServerHandle;
  readonly dovecot: DovecotHandle;
  /** Plugin config (fetch limits …); allowInsecureLoopback is on, the servers' CAs are added. */
  readonly config?: Record<string, unknown>;
  /** Skip the host's migrations (a second world on the same database); the plugin migrates itself, as in production. */
  readonly migrated?: boolean;
  /** How tokens are sealed (default: a random test key); the host's AesGcmSecrets when child processes share the database. */
  readonly secrets?: SecretsPort;
  /** Runs before each host ingest (a test can throw, stall, or stop a server there). */
  readonly beforeIngest?: (message: InboundMessage) => Promise<void> | void;
}

/** `config` with `section.caCertPem` set (the test servers' CA), keeping the section's other settings. */
function withCa(
  config: Record<string, unknown>,
  section: 'fetch' | 'token',
  caCertPem: string,
): Record<string, unknown> {
  return { ...config, [section]: { ...(config[section] as Record<string, unknown> | undefined), caCertPem } };
}

/**
 * Builds the world and registers one app for the OAuth server.
 * @param options - database, servers, config
 */
export async function createFetchWorld(options: FetchWorldOptions): Promise<FetchWorld> {
  const { knex, oauthServer, dovecot } = options;
  if (!options.migrated) await migrateHost(knex);
  const log = capturingPino();
  const tickets = new TicketStore(knex);
  const config = withCa(
    withCa({ allowInsecureLoopback: true, ...options.config }, 'token', oauthServer.caCertPem),
    'fetch',
    dovecot.caCertPem,
  );
  const { host, notifications } = createTestPluginHost({
    knex,
    secrets: options.secrets ?? createTestSecrets(),
    logger: log.logger,
    redirectUri: oauthServer.client.redirectUris[0] ?? '',
    config,
    mail: {
      ingest: async (message) => {
        await options.beforeIngest?.(message);
        return tickets.ingest(message);
      },
      // The batch path of the reference host: the hook sees each message first, a throw makes nothing of the batch.
      ingestMany: async (messages) => {
        for (const message of messages) await options.beforeIngest?.(message);
        return tickets.ingestMany(messages);
      },
    },
  });
  const services = await buildServices(host);
  const { repositories, oauth, polling } = services;
  const app = await oauth.apps.create(localMicrosoftApp(oauthServer), null);

  const world: FetchWorld = {
    knex,
    config: services.config,
    repositories,
    ledger: services.ledger,
    tickets,
    notifications,
    logger: log,
    oauth,
    polling,
    sending: services.sending,
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
      return polling.cycle.run({
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
