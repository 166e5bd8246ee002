/**
 * The tables behind the in-memory repositories: one store is one database. Repositories built over the same store
 * see each other's rows (as two connections to one database do), and the store keeps the rules the database's
 * keys keep for the knex repositories: ids are issued once, an account needs its app, removing an account takes its
 * tokens, pending authorizations, cursors and deliveries with it, and an app still used by accounts stays.
 */
import { accountNotFoundMessage, appNotFoundMessage } from '../../../adapters/knex/not-found';
import { PluginError } from '../../../plugin/errors';
import type { MailAccount } from '../../../plugin/ports/account-repository';
import type { AppRegistration } from '../../../plugin/ports/app-repository';
import type { AuthRequest } from '../../../plugin/ports/auth-request-repository';
import type { PluginEvent } from '../../../plugin/ports/event-log';
import type { Delivery, MailCursor } from '../../../plugin/ports/mail-ledger';
import type { StoredToken } from '../../../plugin/ports/token-repository';

/** An app row: the registration, its (here unsealed) client secret and private key, the last expiry warning. */
export interface AppRow {
  readonly app: AppRegistration;
  readonly clientSecret: string;
  readonly privateKey: string | null;
  credentialWarning: string | null;
}

/** An account row: the account, its poll lease included. */
export interface AccountRow {
  readonly account: MailAccount;
}

/** A token row: the tokens and the refresh lease. */
export interface TokenRow {
  readonly token: StoredToken;
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
}

type Table = 'apps' | 'accounts' | 'events' | 'deliveries';

/**
 * Whether `id` is an id a row can have: what the knex repositories accept (a positive integer, at most 10 digits);
 * anything else names no row.
 */
export function isRowId(id: string): boolean {
  return /^[1-9]\d{0,9}$/.test(id);
}

/** One in-memory database. */
export class MemoryStore {
  readonly apps = new Map<string, AppRow>();
  readonly accounts = new Map<string, AccountRow>();
  /** By account id. */
  readonly tokens = new Map<string, TokenRow>();
  /** By state hash. */
  readonly authRequests = new Map<string, AuthRequest>();
  /** In the order recorded. */
  readonly events: PluginEvent[] = [];
  /** By `accountId/folder`. */
  readonly cursors = new Map<string, MailCursor>();
  /** In the order first written. */
  readonly deliveries: Delivery[] = [];
  private readonly sequences = new Map<Table, number>();

  /** The next id of `table` (like an auto-increment column: never issued twice, even after a delete). */
  nextId(table: Table): string {
    const next = (this.sequences.get(table) ?? 0) + 1;
    this.sequences.set(table, next);
    return String(next);
  }

  /** @throws PluginError ERR_NOT_FOUND, worded as the knex repositories word it */
  requireApp(appId: string): AppRow {
    const row = this.apps.get(appId);
    if (!row) throw new PluginError('ERR_NOT_FOUND', appNotFoundMessage(appId), { appId });
    return row;
  }

  /** @throws PluginError ERR_NOT_FOUND, worded as the knex repositories word it */
  requireAccount(accountId: string): AccountRow {
    const row = this.accounts.get(accountId);
    if (!row) throw new PluginError('ERR_NOT_FOUND', accountNotFoundMessage(accountId), { accountId });
    return row;
  }

  /** Deletes an account and what hangs on it; its events stay (history). */
  removeAccount(accountId: string): void {
    if (!this.accounts.delete(accountId)) return;
    this.tokens.delete(accountId);
    for (const [hash, request] of this.authRequests)
      if (request.accountId === accountId) this.authRequests.delete(hash);
    for (const [key, cursor] of this.cursors) if (cursor.accountId === accountId) this.cursors.delete(key);
    for (let i = this.deliveries.length - 1; i >= 0; i--)
      if (this.deliveries[i]!.accountId === accountId) this.deliveries.splice(i, 1);
  }
}
