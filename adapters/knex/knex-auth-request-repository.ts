import type { Knex } from 'knex';
import { PluginError } from '../../plugin/errors';
import type { AuthRequest, AuthRequestRepository } from '../../plugin/ports/auth-request-repository';
import type { SecretsPort } from '../../plugin/ports/host';
import { withDatabaseErrors } from './database-errors';
import { accountNotFoundMessage } from './not-found';
import type { KnexRepositoryOptions } from './repository-options';
import { parseId, TABLES, toAuthRequest, type AuthRequestRow } from './rows';

/**
 * {@link AuthRequestRepository} on the `oauth2_mail_auth_requests` table: keyed by the sha256 of
 * `state`, PKCE verifier sealed with `secrets.seal`, consumed once by one conditional UPDATE.
 */
export class KnexAuthRequestRepository implements AuthRequestRepository {
  readonly #knex: Knex;
  readonly #secrets: SecretsPort;

  /** @param options - the host's knex and the secrets service */
  constructor(options: KnexRepositoryOptions) {
    this.#knex = options.knex;
    this.#secrets = options.secrets;
  }

  /** @throws PluginError ERR_CONFLICT (same state hash) | ERR_NOT_FOUND (no such account) | ERR_INPUT_INVALID | ERR_DATABASE_UNAVAILABLE */
  async create(request: Omit<AuthRequest, 'consumedAt'>): Promise<void> {
    const accountKey = parseId(request.accountId);
    const notFound = accountNotFoundMessage(request.accountId);
    if (accountKey === null) throw new PluginError('ERR_NOT_FOUND', notFound, { accountId: request.accountId });
    const row: AuthRequestRow = {
      state_hash: request.stateHash,
      account_id: accountKey,
      actor_id: request.actorId,
      verifier_sealed: await this.#secrets.seal(request.codeVerifier),
      nonce: request.nonce,
      redirect_uri: request.redirectUri,
      created_at: request.createdAt,
      expires_at: request.expiresAt,
      consumed_at: null,
    };
    await withDatabaseErrors(
      () =>
        this.#knex.transaction(async (trx) => {
          await trx(TABLES.authRequests).insert(row);
          // Checked after the write so SQLite takes its write lock first; covers a host whose SQLite has foreign keys off.
          if (!(await trx(TABLES.accounts).where({ id: accountKey }).first('id'))) {
            throw new PluginError('ERR_NOT_FOUND', notFound, { accountId: request.accountId });
          }
        }),
      notFound,
    );
  }

  /** @returns the request, consumed or expired ones included (the caller tells them apart). @throws PluginError ERR_SECRET_UNREADABLE | ERR_DATABASE_UNAVAILABLE */
  async find(stateHash: string): Promise<AuthRequest | null> {
    const row = (await withDatabaseErrors(() =>
      this.#knex(TABLES.authRequests).where({ state_hash: stateHash }).first(),
    )) as AuthRequestRow | undefined;
    return row ? toAuthRequest(row, this.#secrets) : null;
  }

  /**
   * `UPDATE … SET consumed_at = ? WHERE state_hash = ? AND consumed_at IS NULL`: exactly one caller wins,
   * also across processes.
   * @returns false when it was already consumed or does not exist
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async consume(stateHash: string, at: number): Promise<boolean> {
    const updated = await withDatabaseErrors(() =>
      this.#knex(TABLES.authRequests)
        .where({ state_hash: stateHash })
        .whereNull('consumed_at')
        .update({ consumed_at: at }),
    );
    return updated > 0;
  }

  /** @returns how many requests that expired before `before` were deleted. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async purgeExpired(before: number): Promise<number> {
    return withDatabaseErrors(() => this.#knex(TABLES.authRequests).where('expires_at', '<', before).del());
  }
}
