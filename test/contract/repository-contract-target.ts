import type { AccountRepository, MailAccountInput } from '../../plugin/ports/account-repository';
import type { AppRegistrationInput, AppRepository } from '../../plugin/ports/app-repository';
import type { AuthRequestRepository } from '../../plugin/ports/auth-request-repository';
import type { Clock } from '../../plugin/ports/clock';
import type { EventLog } from '../../plugin/ports/event-log';
import type { MailLedger } from '../../plugin/ports/mail-ledger';
import type { TokenRepository } from '../../plugin/ports/token-repository';

/** One implementation of every storage port (the repositories and the mail ledger) over one storage. */
export interface Repositories {
  readonly apps: AppRepository;
  readonly accounts: AccountRepository;
  readonly tokens: TokenRepository;
  readonly authRequests: AuthRequestRepository;
  readonly events: EventLog;
  readonly ledger: MailLedger;
}

/**
 * What a contract suite runs against (the factory). The suites call `fresh` before every test and
 * `peers` for concurrency tests.
 */
export interface RepositoryContractTarget {
  /** Repositories over EMPTY storage whose timestamps come from `clock`. */
  fresh(clock: Clock): Promise<Repositories>;
  /** The same storage through `count` separate connections (what several host processes see). */
  peers(count: number, clock: Clock): Promise<Repositories[]>;
  /**
   * Rewrites a delivery into what the code before the content key rule wrote: its key of the legacy rule
   * (storage-specific, like an upgrade finding old rows).
   */
  makeLegacyDelivery(repos: Repositories, deliveryId: string, legacyKey: string): Promise<void>;
}

/** A valid app input with a recognizable secret. */
export function appInput(
  overrides: Partial<AppRegistrationInput> = {},
): AppRegistrationInput & { clientSecret: string } {
  return {
    name: 'Contoso',
    provider: 'microsoft',
    cloud: 'global',
    tenant: 'contoso.onmicrosoft.com',
    clientId: 'client-1',
    clientSecret: 'client-secret-PLAIN-1',
    ...overrides,
  };
}

/** A valid account input for `appId`. */
export function accountInput(appId: string, overrides: Partial<MailAccountInput> = {}): MailAccountInput {
  return {
    appId,
    mailbox: 'support@contoso.example',
    host: 'outlook.office365.com',
    port: 993,
    tls: 'implicit',
    ...overrides,
  };
}

/** Creates an app and an account, returning the account's id. */
export async function createAccount(repos: Repositories, overrides: Partial<MailAccountInput> = {}): Promise<string> {
  const app = await repos.apps.create(appInput());
  return (await repos.accounts.create(accountInput(app.id, overrides))).id;
}

/** Ids that name no row in any implementation: never issued, or not an id at all. */
export const UNKNOWN_IDS = ['999999', 'abc', '', '-1', '1e3'] as const;
