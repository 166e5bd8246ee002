import type { Knex } from 'knex';
import { PluginError } from '../../plugin/errors';
import type { SecretsPort } from '../../plugin/ports/host';
import type { StoredToken, TokenRepository, TokenWrite } from '../../plugin/ports/token-repository';
import { withDatabaseErrors } from './database-errors';
import { accountNotFoundMessage } from './not-found';
import type { KnexRepositoryOptions } from './repository-options';
import { parseId, TABLES, toStoredToken, type TokenRow } from './rows';

/**
 * {@link TokenRepository} on the `oauth2_mail_tokens` table. Access and refresh tokens are sealed with
 * `secrets.seal` before they are written. Every write bumps `version`; {@link KnexTokenRepository.compareAndSwap}
 * and the refresh lease are single conditional UPDATEs, correct across processes on SQLite, PostgreSQL and MySQL.
 */
export class KnexTokenRepository implements TokenRepository {
  readonly #knex: Knex;
  readonly #secrets: SecretsPort;

  /** @param options - the host's knex and the secrets service (token times come from each write's `at`) */
  constructor(options: KnexRepositoryOptions) {
    this.#knex = options.knex;
    this.#secrets = options.secrets;
  }

  /** @throws PluginError ERR_SECRET_UNREADABLE | ERR_DATABASE_UNAVAILABLE */
  async find(accountId: string): Promise<StoredToken | null> {
    const key = parseId(accountId);
    if (key === null) return null;
    const row = (await withDatabaseErrors(() => this.#knex(TABLES.tokens).where({ account_id: key }).first())) as
      TokenRow | undefined;
    return row ? toStoredToken(row, this.#secrets) : null;
  }

  /**
   * Stores a new grant in place of whatever was stored: version + 1 (so an older refresher's
   * compare-and-swap fails), obtained and refreshed now, refresh lease cleared.
   * @throws PluginError ERR_NOT_FOUND (no such account) | ERR_DATABASE_UNAVAILABLE
   */
  async replace(accountId: string, write: TokenWrite): Promise<StoredToken> {
    const key = parseId(accountId);
    if (key === null) throw new PluginError('ERR_NOT_FOUND', accountNotFoundMessage(accountId), { accountId });
    const sealed = await this.#seal(write);
    const columns = { ...sealed, obtained_at: write.at, refreshed_at: write.at, lease_owner: null, lease_until: null };
    const k = this.#knex;
    const row = await withDatabaseErrors(
      () =>
        k.transaction(async (trx) => {
          await trx(TABLES.tokens)
            .insert({ account_id: key, ...columns, version: 1 })
            .onConflict('account_id')
            .merge({ ...columns, version: k.raw('??.?? + 1', [TABLES.tokens, 'version']) });
          // Checked after the write so SQLite takes its write lock first; covers a host whose SQLite has foreign keys off.
          if (!(await trx(TABLES.accounts).where({ id: key }).first('id'))) {
            throw new PluginError('ERR_NOT_FOUND', accountNotFoundMessage(accountId), { accountId });
          }
          return (await trx(TABLES.tokens).where({ account_id: key }).first()) as TokenRow;
        }),
      accountNotFoundMessage(accountId),
    );
    return toStoredToken(row, this.#secrets);
  }

  /**
   * One `UPDATE … WHERE account_id = ? AND version = ?`: writes only when nobody wrote since
   * `expectedVersion` was read; sets version + 1, the refresh time, and clears the refresh lease.
   * @returns the new row, or null when another writer got there first (or no tokens are stored)
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async compareAndSwap(accountId: string, expectedVersion: number, write: TokenWrite): Promise<StoredToken | null> {
    const key = parseId(accountId);
    if (key === null) return null;
    const sealed = await this.#seal(write);
    const row = await withDatabaseErrors(() =>
      this.#knex.transaction(async (trx) => {
        const updated = await trx(TABLES.tokens)
          .where({ account_id: key, version: expectedVersion })
          .update({
            ...sealed,
            version: expectedVersion + 1,
            refreshed_at: write.at,
            lease_owner: null,
            lease_until: null,
          });
        if (updated === 0) return null;
        // Same transaction: our row lock (SQLite: the write lock) keeps anyone from changing it before we read it back.
        return (await trx(TABLES.tokens).where({ account_id: key }).first()) as TokenRow;
      }),
    );
    return row ? toStoredToken(row, this.#secrets) : null;
  }

  /**
   * Takes the refresh lease with one conditional UPDATE: it succeeds when no lease is held, the lease
   * expired before `now`, or `owner` already holds it.
   * @returns true when `owner` holds the lease until `until`; false also when no tokens are stored
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async acquireRefreshLease(accountId: string, owner: string, until: number, now: number): Promise<boolean> {
    const key = parseId(accountId);
    if (key === null) return false;
    const updated = await withDatabaseErrors(() =>
      this.#knex(TABLES.tokens)
        .where({ account_id: key })
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

  /** Gives the refresh lease up when `owner` holds it. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async releaseRefreshLease(accountId: string, owner: string): Promise<void> {
    const key = parseId(accountId);
    if (key === null) return;
    await withDatabaseErrors(() =>
      this.#knex(TABLES.tokens)
        .where({ account_id: key, lease_owner: owner })
        .update({ lease_owner: null, lease_until: null }),
    );
  }

  /** Deletes the stored tokens; a no-op when none are stored. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async delete(accountId: string): Promise<void> {
    const key = parseId(accountId);
    if (key === null) return;
    await withDatabaseErrors(() => this.#knex(TABLES.tokens).where({ account_id: key }).del());
  }

  async #seal(
    write: TokenWrite,
  ): Promise<Pick<TokenRow, 'access_token_sealed' | 'access_expires_at' | 'refresh_token_sealed' | 'scope'>> {
    return {
      access_token_sealed: await this.#secrets.seal(write.accessToken),
      access_expires_at: write.accessTokenExpiresAt,
      refresh_token_sealed: write.refreshToken === null ? null : await this.#secrets.seal(write.refreshToken),
      scope: write.scope,
    };
  }
}
