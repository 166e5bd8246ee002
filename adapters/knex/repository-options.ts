import type { Knex } from 'knex';
import type { Clock } from '../../plugin/ports/clock';
import type { SecretsPort } from '../../plugin/ports/host';

/** What every knex repository is created with. */
export interface KnexRepositoryOptions {
  /** The host's knex instance (`DatabasePort.getClient()`), with the plugin migrations applied. */
  readonly knex: Knex;
  /** Seals tokens, client secrets and PKCE verifiers before they are written; opens them on read. */
  readonly secrets: SecretsPort;
  /** Source of `created_at` / `updated_at`; the system clock by default. */
  readonly clock?: Clock;
}
