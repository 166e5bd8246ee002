import { KnexAccountRepository } from './knex-account-repository';
import { KnexAppRepository } from './knex-app-repository';
import { KnexAuthRequestRepository } from './knex-auth-request-repository';
import { KnexEventLog } from './knex-event-log';
import { KnexTokenRepository } from './knex-token-repository';
import type { KnexRepositoryOptions } from './repository-options';

/** Every knex repository of the plugin over one database. */
export interface KnexRepositories {
  readonly apps: KnexAppRepository;
  readonly accounts: KnexAccountRepository;
  readonly tokens: KnexTokenRepository;
  readonly authRequests: KnexAuthRequestRepository;
  readonly events: KnexEventLog;
}

/**
 * Builds all repositories with the same options (what the composition root wires).
 * @param options - the host's knex (plugin migrations applied), the secrets service, an optional clock
 * @returns the repositories
 * @example
 * const repos = createKnexRepositories({ knex: host.database.getClient(), secrets: host.secrets });
 */
export function createKnexRepositories(options: KnexRepositoryOptions): KnexRepositories {
  return {
    apps: new KnexAppRepository(options),
    accounts: new KnexAccountRepository(options),
    tokens: new KnexTokenRepository(options),
    authRequests: new KnexAuthRequestRepository(options),
    events: new KnexEventLog(options),
  };
}
