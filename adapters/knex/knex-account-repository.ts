import type { Knex } from 'knex';
import { PluginError } from '../../plugin/errors';
import type {
  AccountRepository,
  AccountStatusChange,
  AuthMode,
  InitialSync,
  MailAccount,
  MailAccountInput,
  MailProtocol,
  PollRecord,
  PostFetchAction,
} from '../../plugin/ports/account-repository';
import { SMTP_OFF } from '../../plugin/ports/account-repository';
import { systemClock, type Clock } from '../../plugin/ports/clock';
import { withDatabaseErrors } from './database-errors';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import { accountNotFoundMessage, appNotFoundMessage } from './not-found';
import type { KnexRepositoryOptions } from './repository-options';
import { parseId, TABLES, toMailAccount, type AccountRow } from './rows';

/** What {@link KnexAccountRepository.create} fills in for omitted optional fields. */
export const ACCOUNT_DEFAULTS = Object.freeze({
  authMode: 'delegated' as AuthMode,
  protocol: 'imap' as MailProtocol,
  folder: 'INBOX',
  initialSync: 'unseen' as InitialSync,
  postFetch: 'mark_seen' as PostFetchAction,
  pollIntervalSeconds: 60,
  sharedViaDelegate: false,
  smtp: SMTP_OFF,
  enabled: true,
});

function notFound(id: string): PluginError {
  return new PluginError('ERR_NOT_FOUND', accountNotFoundMessage(id), { accountId: id });
}

/** Columns an admin sets; `undefined` is left out (on update: keep the stored value). */
function inputColumns(input: Partial<MailAccountInput>, appKey: number | undefined): Record<string, unknown> {
  const columns: Record<string, unknown> = {
    app_id: appKey,
    mailbox: input.mailbox,
    auth_mode: input.authMode,
    protocol: input.protocol,
    host: input.host,
    port: input.port,
    tls: input.tls,
    folder: input.folder,
    initial_sync: input.initialSync,
    post_fetch: input.postFetch,
    poll_interval_s: input.pollIntervalSeconds,
    shared_via_delegate: input.sharedViaDelegate,
    ...(input.smtp
      ? {
          smtp_enabled: input.smtp.enabled,
          smtp_host: input.smtp.host,
          smtp_port: input.smtp.port,
          smtp_tls: input.smtp.tls,
          smtp_from: input.smtp.from,
        }
      : {}),
    enabled: input.enabled,
  };
  for (const key of Object.keys(columns)) if (columns[key] === undefined) delete columns[key];
  return columns;
}

/**
 * {@link AccountRepository} on the `oauth2_mail_accounts` table, including the poll lease taken with
 * one atomic conditional UPDATE (correct across processes on SQLite, PostgreSQL and MySQL).
 */
export class KnexAccountRepository implements AccountRepository {
  readonly #knex: Knex;
  readonly #clock: Clock;

  /** @param options - the host's knex and an optional clock (`secrets` is not used: accounts hold no secret) */
  constructor(options: KnexRepositoryOptions) {
    this.#knex = options.knex;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Creates the account with status `not_connected`; omitted fields take {@link ACCOUNT_DEFAULTS}.
   * @throws PluginError ERR_NOT_FOUND (no such app) | ERR_INPUT_INVALID | ERR_DATABASE_UNAVAILABLE
   */
  async create(input: MailAccountInput): Promise<MailAccount> {
    const appKey = parseId(input.appId);
    if (appKey === null)
      throw new PluginError('ERR_NOT_FOUND', appNotFoundMessage(input.appId), { appId: input.appId });
    const now = this.#clock.now();
    const row = {
      ...inputColumns({ ...ACCOUNT_DEFAULTS, ...withoutUndefined(input) }, appKey),
      status: 'not_connected',
      status_code: null,
      status_detail: null,
      authorized_identity: null,
      last_poll_at: null,
      last_success_at: null,
      next_poll_at: null,
      failure_count: 0,
      messages_fetched: 0,
      lease_owner: null,
      lease_until: null,
      created_at: now,
      updated_at: now,
    };
    const id = await withDatabaseErrors(
      () =>
        this.#knex.transaction(async (trx) => {
          const inserted = await insertReturningId(trx, TABLES.accounts, row);
          // Checked after the write (not before) so SQLite takes its write lock first; covers a host whose SQLite has foreign keys off.
          if (!(await trx(TABLES.apps).where({ id: appKey }).first('id'))) {
            throw new PluginError('ERR_NOT_FOUND', appNotFoundMessage(input.appId), { appId: input.appId });
          }
          return inserted;
        }),
      appNotFoundMessage(input.appId),
    );
    return toMailAccount({ ...row, id } as AccountRow);
  }

  /**
   * Updates the fields present in `input`; an omitted optional field keeps its stored value.
   * @throws PluginError ERR_NOT_FOUND (account or app) | ERR_INPUT_INVALID | ERR_DATABASE_UNAVAILABLE
   */
  async update(id: string, input: MailAccountInput): Promise<MailAccount> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const appKey = parseId(input.appId);
    if (appKey === null)
      throw new PluginError('ERR_NOT_FOUND', appNotFoundMessage(input.appId), { appId: input.appId });
    const patch = { ...inputColumns(input, appKey), updated_at: this.#clock.now() };
    return this.#updateAndRead(
      id,
      key,
      patch,
      async (trx) => {
        if (!(await trx(TABLES.apps).where({ id: appKey }).first('id'))) {
          throw new PluginError('ERR_NOT_FOUND', appNotFoundMessage(input.appId), { appId: input.appId });
        }
      },
      appNotFoundMessage(input.appId),
    );
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async find(id: string): Promise<MailAccount | null> {
    const key = parseId(id);
    if (key === null) return null;
    const row = (await withDatabaseErrors(() => this.#knex(TABLES.accounts).where({ id: key }).first())) as
      AccountRow | undefined;
    return row ? toMailAccount(row) : null;
  }

  /** @returns the accounts (of one app when `filter.appId` is set), oldest first. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async list(filter: { readonly appId?: string } = {}): Promise<MailAccount[]> {
    let appKey: number | null | undefined;
    if (filter.appId !== undefined) {
      appKey = parseId(filter.appId);
      if (appKey === null) return [];
    }
    const rows = (await withDatabaseErrors(() => {
      const query = this.#knex(TABLES.accounts).select('*').orderBy('id');
      return appKey === undefined ? query : query.where('app_id', appKey);
    })) as AccountRow[];
    return rows.map(toMailAccount);
  }

  /**
   * Removes the account with its tokens, pending authorizations, cursors and ledger (events stay: they
   * are history). Removing one that does not exist is a no-op.
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async remove(id: string): Promise<void> {
    const key = parseId(id);
    if (key === null) return;
    await withDatabaseErrors(() =>
      this.#knex.transaction(async (trx) => {
        // The foreign keys cascade too; deleting explicitly keeps a host whose SQLite has foreign keys off clean.
        for (const table of [TABLES.tokens, TABLES.authRequests, TABLES.cursors, TABLES.deliveries]) {
          await trx(table).where('account_id', key).del();
        }
        await trx(TABLES.accounts).where({ id: key }).del();
      }),
    );
  }

  /**
   * Sets the status. `statusCode` and `statusDetail` omitted = cleared (a new status drops the old
   * reason); `authorizedIdentity` omitted = kept.
   * @throws PluginError ERR_NOT_FOUND | ERR_DATABASE_UNAVAILABLE
   */
  async setStatus(id: string, change: AccountStatusChange): Promise<MailAccount> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const patch: Record<string, unknown> = {
      status: change.status,
      status_code: change.statusCode ?? null,
      status_detail: change.statusDetail ?? null,
      updated_at: this.#clock.now(),
    };
    if (change.authorizedIdentity !== undefined) patch.authorized_identity = change.authorizedIdentity;
    return this.#updateAndRead(id, key, patch);
  }

  /**
   * Records a poll. Success resets the failure count and sets the last success time; failure counts up.
   * @throws PluginError ERR_NOT_FOUND | ERR_DATABASE_UNAVAILABLE
   */
  async recordPoll(id: string, poll: PollRecord): Promise<void> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const k = this.#knex;
    const patch = {
      last_poll_at: poll.at,
      next_poll_at: poll.nextPollAt,
      ...(poll.succeeded
        ? { failure_count: 0, last_success_at: poll.at }
        : { failure_count: k.raw('?? + 1', ['failure_count']) }),
      updated_at: this.#clock.now(),
    };
    const updated = await withDatabaseErrors(() => k(TABLES.accounts).where({ id: key }).update(patch));
    if (updated === 0) throw notFound(id);
  }

  /**
   * Enabled accounts whose next poll time is `now` or earlier, or was never set; never-polled first,
   * then by next poll time.
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async listDue(now: number, limit: number): Promise<MailAccount[]> {
    if (!(limit > 0)) return [];
    const rows = (await withDatabaseErrors(() =>
      this.#knex(TABLES.accounts)
        .select('*')
        .where('enabled', true)
        .andWhere((q) => q.whereNull('next_poll_at').orWhere('next_poll_at', '<=', now))
        // PostgreSQL sorts NULL last, SQLite and MySQL first: spell it out.
        .orderByRaw('CASE WHEN next_poll_at IS NULL THEN 0 ELSE 1 END, next_poll_at, id')
        .limit(Math.floor(limit)),
    )) as AccountRow[];
    return rows.map(toMailAccount);
  }

  /**
   * Takes the poll lease with one conditional UPDATE: it succeeds when no lease is held, the lease
   * expired before `now`, or `owner` already holds it (renewal).
   * @returns true when `owner` holds the lease until `until`
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async acquireLease(id: string, owner: string, until: number, now: number): Promise<boolean> {
    const key = parseId(id);
    if (key === null) return false;
    const updated = await withDatabaseErrors(() =>
      this.#knex(TABLES.accounts)
        .where({ id: key })
        .andWhere((q) =>
          q
            .whereNull('lease_owner')
            .orWhereNull('lease_until')
            .orWhere('lease_until', '<', now)
            .orWhere('lease_owner', owner),
        )
        .update({ lease_owner: owner, lease_until: until }),
    );
    return updated > 0;
  }

  /**
   * Extends the lease with one UPDATE conditional on `owner` holding it.
   * @returns false when another owner holds it now, it was released, or the account is gone
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async renewLease(id: string, owner: string, until: number): Promise<boolean> {
    return this.#moveLease(id, owner, owner, until);
  }

  /**
   * Moves the lease with one UPDATE conditional on `previousOwner` still holding it, so of two processes taking
   * over the same dead owner's lease only one succeeds.
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async takeOverLease(id: string, previousOwner: string, owner: string, until: number): Promise<boolean> {
    return this.#moveLease(id, previousOwner, owner, until);
  }

  /** Gives the lease up when `owner` holds it. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async releaseLease(id: string, owner: string): Promise<void> {
    const key = parseId(id);
    if (key === null) return;
    await withDatabaseErrors(() =>
      this.#knex(TABLES.accounts)
        .where({ id: key, lease_owner: owner })
        .update({ lease_owner: null, lease_until: null }),
    );
  }

  async #moveLease(id: string, from: string, to: string, until: number): Promise<boolean> {
    const key = parseId(id);
    if (key === null) return false;
    const updated = await withDatabaseErrors(() =>
      this.#knex(TABLES.accounts).where({ id: key, lease_owner: from }).update({ lease_owner: to, lease_until: until }),
    );
    return updated > 0;
  }

  async #updateAndRead(
    id: string,
    key: number,
    patch: Record<string, unknown>,
    check?: (trx: Knex.Transaction) => Promise<void>,
    foreignKeyMessage?: string,
  ): Promise<MailAccount> {
    const row = await withDatabaseErrors(
      () =>
        this.#knex.transaction(async (trx) => {
          if ((await trx(TABLES.accounts).where({ id: key }).update(patch)) === 0) throw notFound(id);
          await check?.(trx);
          return (await trx(TABLES.accounts).where({ id: key }).first()) as AccountRow;
        }),
      foreignKeyMessage,
    );
    return toMailAccount(row);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
