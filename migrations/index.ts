/**
 * The plugin's migrations in the order they run, imported statically so ts-jest and the compiled
 * `dist/` run the same code (no `.ts`/`.js` directory scan). A released migration is never edited:
 * a change is a new file appended here.
 */
import type { Knex } from 'knex';
import * as createApps from './20261127000000_create_apps';
import * as createAccounts from './20261127000100_create_accounts';
import * as createTokens from './20261127000200_create_tokens';
import * as createAuthRequests from './20261127000300_create_auth_requests';
import * as createCursors from './20261127000400_create_cursors';
import * as createDeliveries from './20261127000500_create_deliveries';
import * as createEvents from './20261127000600_create_events';
import * as addSendingToAccounts from './20261201000100_add_sending_to_accounts';
import * as deliveriesMessageKeyRule from './20261201000200_deliveries_message_key_rule';
import * as recountMessagesFetched from './20261210000000_recount_messages_fetched';
import * as addIncidentToApps from './20261210000100_add_incident_to_apps';
import * as addCredentialsToApps from './20261215000000_add_credentials_to_apps';
import * as deliveriesPop3Uidl from './20261220000000_deliveries_pop3_uidl';
import * as createHeartbeats from './20261221000000_create_heartbeats';
import * as addAuthorizePromptToApps from './20261222000000_add_authorize_prompt_to_apps';

/** One migration with the name recorded in the migrations table (the file name without extension). */
export interface NamedMigration extends Knex.Migration {
  readonly name: string;
}

/** Every migration, oldest first. */
export const migrations: readonly NamedMigration[] = Object.freeze([
  { name: '20261127000000_create_apps', ...createApps },
  { name: '20261127000100_create_accounts', ...createAccounts },
  { name: '20261127000200_create_tokens', ...createTokens },
  { name: '20261127000300_create_auth_requests', ...createAuthRequests },
  { name: '20261127000400_create_cursors', ...createCursors },
  { name: '20261127000500_create_deliveries', ...createDeliveries },
  { name: '20261127000600_create_events', ...createEvents },
  { name: '20261201000100_add_sending_to_accounts', ...addSendingToAccounts },
  { name: '20261201000200_deliveries_message_key_rule', ...deliveriesMessageKeyRule },
  { name: '20261210000000_recount_messages_fetched', ...recountMessagesFetched },
  { name: '20261210000100_add_incident_to_apps', ...addIncidentToApps },
  { name: '20261215000000_add_credentials_to_apps', ...addCredentialsToApps },
  { name: '20261220000000_deliveries_pop3_uidl', ...deliveriesPop3Uidl },
  { name: '20261221000000_create_heartbeats', ...createHeartbeats },
  { name: '20261222000000_add_authorize_prompt_to_apps', ...addAuthorizePromptToApps },
]);
