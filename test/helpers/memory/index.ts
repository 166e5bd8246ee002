/**
 * One in-memory implementation per storage port, all over one {@link MemoryStore}. They pass the same contract
 * suites as the knex ones (test/contract/memory-repositories.test.ts), so a unit test over them sees what
 * production's repositories would do.
 */
import type { Clock } from '../../../plugin/ports/clock';
import { MemoryAccountRepository } from './memory-account-repository';
import { MemoryAppRepository } from './memory-app-repository';
import { MemoryAuthRequestRepository } from './memory-auth-request-repository';
import { MemoryEventLog } from './memory-event-log';
import { MemoryMailLedger } from './memory-mail-ledger';
import { MemoryStore } from './memory-store';
import { MemoryTokenRepository } from './memory-token-repository';

export { MemoryAccountRepository } from './memory-account-repository';
export { MemoryAppRepository } from './memory-app-repository';
export { MemoryAuthRequestRepository } from './memory-auth-request-repository';
export { MemoryEventLog } from './memory-event-log';
export { MemoryMailLedger } from './memory-mail-ledger';
export { MemoryStore } from './memory-store';
export { MemoryTokenRepository } from './memory-token-repository';

/** Every storage port over one store. */
export interface MemoryRepositories {
  readonly store: MemoryStore;
  readonly apps: MemoryAppRepository;
  readonly accounts: MemoryAccountRepository;
  readonly tokens: MemoryTokenRepository;
  readonly authRequests: MemoryAuthRequestRepository;
  readonly events: MemoryEventLog;
  readonly ledger: MemoryMailLedger;
}

/**
 * The repositories and the ledger over `store` (default: a new, empty one).
 * @param clock - timestamps
 * @param store - share one to get a second "connection" to the same data
 */
export function createMemoryRepositories(clock: Clock, store: MemoryStore = new MemoryStore()): MemoryRepositories {
  return {
    store,
    apps: new MemoryAppRepository(store, clock),
    accounts: new MemoryAccountRepository(store, clock),
    tokens: new MemoryTokenRepository(store),
    authRequests: new MemoryAuthRequestRepository(store),
    events: new MemoryEventLog(store),
    ledger: new MemoryMailLedger(store, clock),
  };
}
