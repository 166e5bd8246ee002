// The in-memory repositories and ledger of the unit tests (test/helpers/memory) through the same contract suites
// as the knex ones: a unit test over them sees what production's storage would do.
import { createMemoryRepositories, MemoryStore } from '../helpers/memory';
import { accountRepositoryContract } from './account-repository.contract';
import { appRepositoryContract } from './app-repository.contract';
import { authRequestRepositoryContract } from './auth-request-repository.contract';
import { eventLogContract } from './event-log.contract';
import { mailLedgerContract } from './mail-ledger.contract';
import type { RepositoryContractTarget } from './repository-contract-target';
import { tokenRepositoryContract } from './token-repository.contract';

/** A new store per test; peers are more repositories over the same store (what a second connection sees). */
function memoryTarget(): RepositoryContractTarget {
  let store = new MemoryStore();
  return {
    async fresh(clock) {
      store = new MemoryStore();
      return createMemoryRepositories(clock, store);
    },
    async peers(count, clock) {
      return Array.from({ length: count }, () => createMemoryRepositories(clock, store));
    },
    async makeLegacyDelivery(_repos, deliveryId, legacyKey) {
      const index = store.deliveries.findIndex((d) => d.id === deliveryId);
      store.deliveries[index] = { ...store.deliveries[index]!, messageKey: legacyKey, messageKeyRule: 'legacy' };
    },
  };
}

describe('memory repositories', () => {
  const target = memoryTarget();

  appRepositoryContract(target);
  accountRepositoryContract(target);
  tokenRepositoryContract(target);
  authRequestRepositoryContract(target);
  eventLogContract(target);
  mailLedgerContract(target);
});
