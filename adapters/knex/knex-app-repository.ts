import type { Knex } from 'knex';
import { PluginError } from '../../plugin/errors';
import type {
  AppIncident,
  AppRegistration,
  AppRegistrationInput,
  AppRepository,
} from '../../plugin/ports/app-repository';
import { systemClock, type Clock } from '../../plugin/ports/clock';
import type { SecretsPort } from '../../plugin/ports/host';
import { withDatabaseErrors } from './database-errors';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import { appNotFoundMessage } from './not-found';
import type { KnexRepositoryOptions } from './repository-options';
import { parseId, TABLES, toAppRegistration, type AppRow } from './rows';

function notFound(id: string): PluginError {
  return new PluginError('ERR_NOT_FOUND', appNotFoundMessage(id), { appId: id });
}

/** The optional columns: `undefined` on update keeps the stored value, `null` clears it. */
function optionalColumns(input: AppRegistrationInput): Partial<Record<keyof AppRow, string | number | null>> {
  const columns: Partial<Record<keyof AppRow, string | number | null>> = {};
  const set = (column: keyof AppRow, value: string | number | null | undefined): void => {
    if (value !== undefined) columns[column] = value;
  };
  set('cloud', input.cloud);
  set('tenant', input.tenant);
  set('issuer_url', input.issuerUrl);
  set('authorize_url', input.authorizeUrl);
  set('token_url', input.tokenUrl);
  set('revocation_url', input.revocationUrl);
  set('userinfo_url', input.userinfoUrl);
  set('scopes', input.scopes);
  set('secret_expires_at', input.secretExpiresAt);
  set('credential_type', input.credentialType);
  set('certificate_pem', input.certificatePem);
  set('certificate_expires_at', input.certificateExpiresAt);
  set('assertion_algorithm', input.assertionAlgorithm);
  set('service_account_email', input.serviceAccountEmail);
  set('service_account_key_id', input.serviceAccountKeyId);
  set('service_account_token_url', input.serviceAccountTokenUrl);
  set('app_token_scope', input.appTokenScope);
  set('device_authorization_url', input.deviceAuthorizationUrl);
  set('service_principal_id', input.servicePrincipalId);
  set('authorize_prompt', input.authorizePrompt);
  return columns;
}

/** The columns that hold the credential; empty when none (NOT NULL since the first migration). */
const NO_SECRET = '';

/**
 * {@link AppRepository} on the `oauth2_mail_apps` table. The client secret and the private key are sealed with
 * `secrets.seal` before they are written and only opened by {@link KnexAppRepository.clientSecret} and
 * {@link KnexAppRepository.privateKey}; an app without a secret stores an empty string in its column.
 */
export class KnexAppRepository implements AppRepository {
  readonly #knex: Knex;
  readonly #secrets: SecretsPort;
  readonly #clock: Clock;

  /** @param options - the host's knex, the secrets service, an optional clock */
  constructor(options: KnexRepositoryOptions) {
    this.#knex = options.knex;
    this.#secrets = options.secrets;
    this.#clock = options.clock ?? systemClock;
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE | ERR_INPUT_INVALID (value too long) */
  async create(input: AppRegistrationInput & { readonly clientSecret: string }): Promise<AppRegistration> {
    const now = this.#clock.now();
    const row = {
      cloud: null,
      tenant: null,
      issuer_url: null,
      authorize_url: null,
      token_url: null,
      revocation_url: null,
      userinfo_url: null,
      scopes: null,
      secret_expires_at: null,
      incident_code: null,
      incident_detail: null,
      incident_since: null,
      credential_type: 'client_secret',
      certificate_pem: null,
      certificate_expires_at: null,
      assertion_algorithm: null,
      service_account_email: null,
      service_account_key_id: null,
      service_account_token_url: null,
      app_token_scope: null,
      device_authorization_url: null,
      service_principal_id: null,
      authorize_prompt: null,
      credential_warning: null,
      ...optionalColumns(input),
      name: input.name,
      provider: input.provider,
      client_id: input.clientId,
      client_secret_sealed: input.clientSecret === NO_SECRET ? NO_SECRET : await this.#secrets.seal(input.clientSecret),
      private_key_sealed: input.privateKey ? await this.#secrets.seal(input.privateKey) : null,
      created_at: now,
      updated_at: now,
    };
    const id = await withDatabaseErrors(() => insertReturningId(this.#knex, TABLES.apps, row));
    return toAppRegistration({ ...row, id } as AppRow);
  }

  /** @throws PluginError ERR_NOT_FOUND | ERR_DATABASE_UNAVAILABLE | ERR_INPUT_INVALID */
  async update(id: string, input: AppRegistrationInput): Promise<AppRegistration> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const patch = {
      ...optionalColumns(input),
      name: input.name,
      provider: input.provider,
      client_id: input.clientId,
      ...(input.clientSecret !== undefined
        ? {
            client_secret_sealed:
              input.clientSecret === NO_SECRET ? NO_SECRET : await this.#secrets.seal(input.clientSecret),
          }
        : {}),
      ...(input.privateKey !== undefined
        ? { private_key_sealed: input.privateKey === null ? null : await this.#secrets.seal(input.privateKey) }
        : {}),
      updated_at: this.#clock.now(),
    };
    const row = await withDatabaseErrors(() =>
      this.#knex.transaction(async (trx) => {
        if ((await trx(TABLES.apps).where({ id: key }).update(patch)) === 0) throw notFound(id);
        return (await trx(TABLES.apps).where({ id: key }).first()) as AppRow;
      }),
    );
    return toAppRegistration(row);
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async find(id: string): Promise<AppRegistration | null> {
    const key = parseId(id);
    if (key === null) return null;
    const row = (await withDatabaseErrors(() => this.#knex(TABLES.apps).where({ id: key }).first())) as
      AppRow | undefined;
    return row ? toAppRegistration(row) : null;
  }

  /** @returns every app, oldest first. @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async list(): Promise<AppRegistration[]> {
    const rows = (await withDatabaseErrors(() => this.#knex(TABLES.apps).select('*').orderBy('id'))) as AppRow[];
    return rows.map(toAppRegistration);
  }

  /** @throws PluginError ERR_NOT_FOUND | ERR_SECRET_UNREADABLE | ERR_DATABASE_UNAVAILABLE */
  async clientSecret(id: string): Promise<string> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const row = (await withDatabaseErrors(() =>
      this.#knex(TABLES.apps).where({ id: key }).first('client_secret_sealed'),
    )) as Pick<AppRow, 'client_secret_sealed'> | undefined;
    if (!row) throw notFound(id);
    return row.client_secret_sealed === NO_SECRET ? NO_SECRET : this.#secrets.open(row.client_secret_sealed);
  }

  /** @throws PluginError ERR_NOT_FOUND | ERR_PROVIDER_CONFIG (no key stored) | ERR_SECRET_UNREADABLE | ERR_DATABASE_UNAVAILABLE */
  async privateKey(id: string): Promise<string> {
    const key = parseId(id);
    if (key === null) throw notFound(id);
    const row = (await withDatabaseErrors(() =>
      this.#knex(TABLES.apps).where({ id: key }).first('private_key_sealed'),
    )) as Pick<AppRow, 'private_key_sealed'> | undefined;
    if (!row) throw notFound(id);
    if (row.private_key_sealed === null)
      throw new PluginError('ERR_PROVIDER_CONFIG', `App registration ${id} has no private key stored.`, { appId: id });
    return this.#secrets.open(row.private_key_sealed);
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async recordCredentialWarning(id: string, warning: string | null): Promise<boolean> {
    const key = parseId(id);
    if (key === null) return false;
    const changed = await withDatabaseErrors(() =>
      this.#knex(TABLES.apps)
        .where({ id: key })
        .andWhere((q) =>
          warning === null
            ? q.whereNotNull('credential_warning')
            : q.whereNull('credential_warning').orWhereNot('credential_warning', warning),
        )
        .update({ credential_warning: warning }),
    );
    return changed > 0;
  }

  /**
   * Opens the incident with one UPDATE conditional on no incident of this code being open; `updated_at` stays (an
   * incident is not an edit).
   * @throws PluginError ERR_DATABASE_UNAVAILABLE
   */
  async openIncident(id: string, incident: AppIncident): Promise<boolean> {
    const key = parseId(id);
    if (key === null) return false;
    const updated = await withDatabaseErrors(() =>
      this.#knex(TABLES.apps)
        .where({ id: key })
        .andWhere((q) => q.whereNull('incident_code').orWhereNot('incident_code', incident.code))
        .update({
          incident_code: incident.code,
          incident_detail: incident.detail,
          incident_since: incident.since,
        }),
    );
    return updated > 0;
  }

  /** @throws PluginError ERR_DATABASE_UNAVAILABLE */
  async closeIncident(id: string): Promise<void> {
    const key = parseId(id);
    if (key === null) return;
    await withDatabaseErrors(() =>
      this.#knex(TABLES.apps)
        .where({ id: key })
        .whereNotNull('incident_code')
        .update({ incident_code: null, incident_detail: null, incident_since: null }),
    );
  }

  /**
   * Removes the app; removing one that does not exist is a no-op.
   * @throws PluginError ERR_CONFLICT while accounts still use the app | ERR_DATABASE_UNAVAILABLE
   */
  async remove(id: string): Promise<void> {
    const key = parseId(id);
    if (key === null) return;
    await withDatabaseErrors(async () => {
      // One conditional DELETE, so an account created meanwhile cannot be orphaned (the foreign key guards it too);
      // when it deletes nothing, tell "still used" from "already gone" (and try again if the last account just left).
      for (let attempt = 0; attempt < 3; attempt++) {
        const deleted = await this.#knex(TABLES.apps)
          .where({ id: key })
          .whereNotExists((q) => q.select(this.#knex.raw('1')).from(TABLES.accounts).where('app_id', key))
          .del();
        if (deleted > 0) return;
        const users = await this.#knex(TABLES.accounts).where('app_id', key).count({ n: '*' }).first();
        const count = Number(users?.n ?? 0);
        if (count > 0) {
          throw new PluginError(
            'ERR_CONFLICT',
            `App registration ${id} is still used by ${count} mail account(s); ` +
              'remove them or move them to another app first.',
            { appId: id, accounts: count },
          );
        }
        if (!(await this.#knex(TABLES.apps).where({ id: key }).first('id'))) return;
      }
      throw new PluginError('ERR_CONFLICT', `App registration ${id} changed while it was being removed; try again.`, {
        appId: id,
      });
    });
  }
}
