/**
 * The plugin as production assembles it (createOAuthServices + createFetchServices over the knex repositories,
 * the knex ledger, the imapflow fetcher), ingesting into the reference host's TicketStore on the same SQLite
 * file, logging through the host's pino logger. Built the same way in the bench process and in its children.
 */
import type { Knex } from 'knex';
import { createKnex } from '../../host/create-knex';
import { ImapFlowMailFetcher } from '../../adapters/imapflow/imapflow-mail-fetcher';
import { KnexMailLedger } from '../../adapters/knex/knex-mail-ledger';
import { createKnexRepositories, type KnexRepositories } from '../../adapters/knex/knex-repositories';
import { SimpleOAuth2Client } from '../../adapters/simple-oauth2/simple-oauth2-client';
import { NotificationCenter } from '../../host/notifications';
import { TicketStore } from '../../host/ticket-store';
import { parseConfig, type PluginConfig } from '../../plugin/config';
import type { AccountPollResult } from '../../plugin/fetch/account-poll-result';
import { createFetchServices, type FetchServices } from '../../plugin/fetch/fetch-services';
import { createOAuthServices, type OAuthServices } from '../../plugin/oauth/oauth-services';
import { systemClock } from '../../plugin/ports/clock';
import type { InboundMessage, IngestResult } from '../../plugin/ports/host';
import { createTestSecrets } from '../helpers/test-secrets';
import { createBenchLogger, type LogProblems } from './bench-logger';
import { MinimalHostIngest } from './minimal-host-ingest';

/** The plugin id the host scopes notifications by. */
const PLUGIN_ID = 'oauth2-mail';

/** Everything a process needs to assemble the plugin on the bench's database (sent to children over IPC). */
export interface BenchPluginSettings {
  /** The SQLite file (already migrated). */
  readonly dbFile: string;
  /** The test secrets key, base64 (tokens are sealed with it). */
  readonly secretKeyBase64: string;
  readonly oauthCaPem: string;
  readonly dovecotCaPem: string;
  readonly redirectUri: string;
  /** Plugin config (allowInsecureLoopback is added). */
  readonly config: Record<string, unknown>;
  /** Where the host logger writes. */
  readonly logFile: string;
}

/** One assembled plugin + host pieces. */
export interface BenchPlugin {
  readonly knex: Knex;
  readonly config: PluginConfig;
  readonly repositories: KnexRepositories;
  readonly oauth: OAuthServices;
  readonly fetch: FetchServices;
  readonly tickets: TicketStore;
  /** The in-memory host ingest when assembled with `host: 'minimal'`, else null. */
  readonly minimalHost: MinimalHostIngest | null;
  readonly problems: LogProblems;
  /** Polls one account now (due or not), or every enabled, connected account when omitted. */
  poll(accountId?: string): Promise<AccountPollResult[]>;
  /** Closes the database. */
  close(): Promise<void>;
}

/** Options of {@link assembleBenchPlugin}. */
export interface BenchPluginOptions {
  /** Where ingested mail goes: the reference host's TicketStore (default) or {@link MinimalHostIngest}. */
  readonly host?: 'ticket-store' | 'minimal';
  /** Runs after each message is ingested (the memory probe samples there). */
  readonly onIngest?: (message: InboundMessage, result: IngestResult) => void;
}

/**
 * Assembles the plugin over the bench's database.
 * @param settings - database, keys, CAs, config
 * @param options - the host's ingest, a hook after each message
 */
export function assembleBenchPlugin(settings: BenchPluginSettings, options: BenchPluginOptions = {}): BenchPlugin {
  const { onIngest } = options;
  const knex = createKnex(settings.dbFile);
  const config = parseConfig({ ...settings.config, allowInsecureLoopback: true });
  const { logger, problems } = createBenchLogger(settings.logFile);
  const repositories = createKnexRepositories({
    knex,
    secrets: createTestSecrets(Buffer.from(settings.secretKeyBase64, 'base64')),
  });
  const tickets = new TicketStore(knex);
  const minimalHost = options.host === 'minimal' ? new MinimalHostIngest() : null;
  const host = minimalHost ?? tickets;
  const notifications = new NotificationCenter(knex, logger);
  const notify = notifications.portFor(PLUGIN_ID);
  const fetcher = new ImapFlowMailFetcher({ logger: logger.child({ component: 'imap' }), allowInsecureLoopback: true });
  const oauth = createOAuthServices({
    repositories,
    notify,
    logger,
    clock: systemClock,
    oauthClient: new SimpleOAuth2Client({
      caCertPem: settings.oauthCaPem,
      timeoutMs: config.token.httpTimeoutSeconds * 1000,
    }),
    mailFetcher: fetcher,
    redirectUri: settings.redirectUri,
    config,
    mailCaCertPem: settings.dovecotCaPem,
  });
  const fetch = createFetchServices({
    accounts: repositories.accounts,
    events: repositories.events,
    ledger: new KnexMailLedger({ knex }),
    tokens: oauth.tokenService,
    fetcher,
    mail: {
      ingest: async (message) => {
        const result = await host.ingest(message);
        onIngest?.(message, result);
        return result;
      },
    },
    notify,
    logger,
    clock: systemClock,
    config,
    caCertPem: settings.dovecotCaPem,
    beforeCycle: async (signal) => {
      await oauth.keepAlive.run(signal);
    },
  });
  return {
    knex,
    config,
    repositories,
    oauth,
    fetch,
    tickets,
    minimalHost,
    problems,
    poll(accountId) {
      return fetch.cycle.run({
        signal: new AbortController().signal,
        includeNotDue: true,
        ...(accountId ? { accountId } : {}),
      });
    },
    close: () => knex.destroy(),
  };
}
