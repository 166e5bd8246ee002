/**
 * The plugin as production builds it (plugin/main.ts `buildServices`) on the reference host's own scoped host object
 * (test/helpers/test-plugin-host.ts), ingesting into the reference host's TicketStore on the same SQLite file (or a
 * minimal in-memory host), logging through the host's pino logger. Built the same way in the bench process and in
 * its children.
 */
import type { Knex } from 'knex';
import type { KnexRepositories } from '../../adapters/knex/knex-repositories';
import { createKnex } from '../../host/create-knex';
import { TicketStore } from '../../host/ticket-store';
import type { PluginConfig } from '../../plugin/config';
import type { AccountPollResult } from '../../plugin/fetch/account-poll-result';
import type { FetchServices } from '../../plugin/fetch/fetch-services';
import { buildServices } from '../../plugin/main';
import type { OAuthServices } from '../../plugin/oauth/oauth-services';
import type { InboundMessage, IngestResult } from '../../plugin/ports/host';
import { createTestPluginHost } from '../helpers/test-plugin-host';
import { createTestSecrets } from '../helpers/test-secrets';
import { createBenchLogger, type LogProblems } from './bench-logger';
import { MinimalHostIngest } from './minimal-host-ingest';

/** Everything a process needs to assemble the plugin on the bench's database (sent to children over IPC). */
export interface BenchPluginSettings {
  /** The SQLite file (the host's migrations applied; the plugin migrates itself). */
  readonly dbFile: string;
  /** The test secrets key, base64 (tokens are sealed with it). */
  readonly secretKeyBase64: string;
  /** The OAuth server's CA, trusted through the plugin config (token.caCertPem). */
  readonly oauthCaPem: string;
  /** Dovecot's CA, trusted through the plugin config (fetch.caCertPem). */
  readonly dovecotCaPem: string;
  /** The redirect URI registered at the OAuth server; the host's public URL is built so the callback is there. */
  readonly redirectUri: string;
  /** Plugin config (allowInsecureLoopback and the CAs are added). */
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
  readonly polling: FetchServices;
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

/** The bench's plugin config with the test servers' CAs and loopback allowed. */
function pluginConfig(settings: BenchPluginSettings): Record<string, unknown> {
  const section = (name: string) => settings.config[name] as Record<string, unknown> | undefined;
  return {
    ...settings.config,
    allowInsecureLoopback: true,
    token: { ...section('token'), caCertPem: settings.oauthCaPem },
    fetch: { ...section('fetch'), caCertPem: settings.dovecotCaPem },
  };
}

/**
 * Assembles the plugin over the bench's database.
 * @param settings - database, keys, CAs, config
 * @param options - the host's ingest, a hook after each message
 */
export async function assembleBenchPlugin(
  settings: BenchPluginSettings,
  options: BenchPluginOptions = {},
): Promise<BenchPlugin> {
  const { onIngest } = options;
  const knex = createKnex(settings.dbFile);
  const { logger, problems } = createBenchLogger(settings.logFile);
  const tickets = new TicketStore(knex);
  const minimalHost = options.host === 'minimal' ? new MinimalHostIngest() : null;
  const sink = minimalHost ?? tickets;
  const { host } = createTestPluginHost({
    knex,
    secrets: createTestSecrets(Buffer.from(settings.secretKeyBase64, 'base64')),
    logger,
    redirectUri: settings.redirectUri,
    config: pluginConfig(settings),
    mail: {
      ingest: async (message) => {
        const result = await sink.ingest(message);
        onIngest?.(message, result);
        return result;
      },
    },
  });
  const services = await buildServices(host);
  const { polling } = services;
  return {
    knex,
    config: services.config,
    repositories: services.repositories,
    oauth: services.oauth,
    polling,
    tickets,
    minimalHost,
    problems,
    poll(accountId) {
      return polling.cycle.run({
        signal: new AbortController().signal,
        includeNotDue: true,
        ...(accountId ? { accountId } : {}),
      });
    },
    close: () => knex.destroy(),
  };
}
