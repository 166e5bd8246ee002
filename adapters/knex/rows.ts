/**
 * Raw rows of the plugin tables as the drivers return them, and their mappers to the port types.
 * PostgreSQL returns BIGINT as a string, MySQL returns booleans as 0/1 and ids may come back as
 * numbers: everything is normalized here, ids become strings.
 */
import type {
  AccountStatus,
  AuthMode,
  InitialSync,
  MailAccount,
  MailProtocol,
  PostFetchAction,
  TlsMode,
} from '../../plugin/ports/account-repository';
import type {
  AppRegistration,
  AssertionAlgorithm,
  CredentialType,
  MicrosoftCloud,
  ProviderKind,
} from '../../plugin/ports/app-repository';
import type { AuthRequest } from '../../plugin/ports/auth-request-repository';
import type { EventType, PluginEvent } from '../../plugin/ports/event-log';
import type { SecretsPort } from '../../plugin/ports/host';
import type { StoredToken } from '../../plugin/ports/token-repository';

/** The plugin's table names (the migrations spell them out themselves: they are frozen history). */
export const TABLES = Object.freeze({
  apps: 'oauth2_mail_apps',
  accounts: 'oauth2_mail_accounts',
  tokens: 'oauth2_mail_tokens',
  authRequests: 'oauth2_mail_auth_requests',
  cursors: 'oauth2_mail_cursors',
  deliveries: 'oauth2_mail_deliveries',
  events: 'oauth2_mail_events',
} as const);

/** An integer column as a driver returns it (pg: BIGINT as string). */
export type DbInteger = number | string | bigint;
/** A boolean column as a driver returns it (MySQL: TINYINT 0/1). */
export type DbBoolean = boolean | number | string;

/** @returns the column value as a number */
export function toNumber(value: DbInteger): number {
  return typeof value === 'number' ? value : Number(value);
}

/** @returns the column value as a number, or null */
export function toNullableNumber(value: DbInteger | null | undefined): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** @returns the column value as a boolean (MySQL 0/1, SQLite 0/1, PostgreSQL true/false) */
export function toBoolean(value: DbBoolean): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** Largest id an `increments` column holds on every supported database (PostgreSQL `integer`). */
const MAX_ID = 2_147_483_647;

/**
 * Parses a port-side id into the integer key.
 * @returns the key, or null when `id` cannot name a row (then the row does not exist)
 */
export function parseId(id: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(id)) return null;
  const value = Number(id);
  return value <= MAX_ID ? value : null;
}

/** `oauth2_mail_apps` row. */
export interface AppRow {
  readonly id: DbInteger;
  readonly name: string;
  readonly provider: string;
  readonly cloud: string | null;
  readonly tenant: string | null;
  readonly issuer_url: string | null;
  readonly authorize_url: string | null;
  readonly token_url: string | null;
  readonly revocation_url: string | null;
  readonly userinfo_url: string | null;
  readonly client_id: string;
  readonly client_secret_sealed: string;
  readonly secret_expires_at: DbInteger | null;
  readonly scopes: string | null;
  readonly incident_code: string | null;
  readonly incident_detail: string | null;
  readonly incident_since: DbInteger | null;
  readonly credential_type: string;
  readonly certificate_pem: string | null;
  readonly certificate_expires_at: DbInteger | null;
  readonly assertion_algorithm: string | null;
  readonly private_key_sealed: string | null;
  readonly service_account_email: string | null;
  readonly service_account_key_id: string | null;
  readonly service_account_token_url: string | null;
  readonly app_token_scope: string | null;
  readonly device_authorization_url: string | null;
  readonly service_principal_id: string | null;
  readonly authorize_prompt: string | null;
  readonly credential_warning: string | null;
  readonly created_at: DbInteger;
  readonly updated_at: DbInteger;
}

/** Maps an app row; the sealed secret and key stay behind. */
export function toAppRegistration(row: AppRow): AppRegistration {
  return {
    id: String(row.id),
    name: row.name,
    provider: row.provider as ProviderKind,
    cloud: row.cloud as MicrosoftCloud | null,
    tenant: row.tenant,
    issuerUrl: row.issuer_url,
    authorizeUrl: row.authorize_url,
    tokenUrl: row.token_url,
    revocationUrl: row.revocation_url,
    userinfoUrl: row.userinfo_url,
    clientId: row.client_id,
    scopes: row.scopes,
    secretExpiresAt: toNullableNumber(row.secret_expires_at),
    incident:
      row.incident_code === null
        ? null
        : {
            code: row.incident_code,
            detail: row.incident_detail ?? '',
            since: toNullableNumber(row.incident_since) ?? 0,
          },
    credentialType: row.credential_type as CredentialType,
    certificatePem: row.certificate_pem,
    certificateExpiresAt: toNullableNumber(row.certificate_expires_at),
    assertionAlgorithm: row.assertion_algorithm as AssertionAlgorithm | null,
    serviceAccountEmail: row.service_account_email,
    serviceAccountKeyId: row.service_account_key_id,
    serviceAccountTokenUrl: row.service_account_token_url,
    appTokenScope: row.app_token_scope,
    deviceAuthorizationUrl: row.device_authorization_url,
    servicePrincipalId: row.service_principal_id,
    authorizePrompt: row.authorize_prompt,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

/** `oauth2_mail_accounts` row. */
export interface AccountRow {
  readonly id: DbInteger;
  readonly app_id: DbInteger;
  readonly mailbox: string;
  readonly auth_mode: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: DbInteger;
  readonly tls: string;
  readonly folder: string;
  readonly initial_sync: string;
  readonly post_fetch: string;
  readonly poll_interval_s: DbInteger;
  readonly shared_via_delegate: DbBoolean;
  readonly smtp_enabled: DbBoolean;
  readonly smtp_host: string | null;
  readonly smtp_port: DbInteger | null;
  readonly smtp_tls: string | null;
  readonly smtp_from: string | null;
  readonly enabled: DbBoolean;
  readonly status: string;
  readonly status_code: string | null;
  readonly status_detail: string | null;
  readonly authorized_identity: string | null;
  readonly last_poll_at: DbInteger | null;
  readonly last_success_at: DbInteger | null;
  readonly next_poll_at: DbInteger | null;
  readonly failure_count: DbInteger;
  readonly messages_fetched: DbInteger;
  readonly lease_owner: string | null;
  readonly lease_until: DbInteger | null;
  readonly created_at: DbInteger;
  readonly updated_at: DbInteger;
}

/** Maps an account row. */
export function toMailAccount(row: AccountRow): MailAccount {
  return {
    id: String(row.id),
    appId: String(row.app_id),
    mailbox: row.mailbox,
    authMode: row.auth_mode as AuthMode,
    protocol: row.protocol as MailProtocol,
    host: row.host,
    port: toNumber(row.port),
    tls: row.tls as TlsMode,
    folder: row.folder,
    initialSync: row.initial_sync as InitialSync,
    postFetch: row.post_fetch as PostFetchAction,
    pollIntervalSeconds: toNumber(row.poll_interval_s),
    sharedViaDelegate: toBoolean(row.shared_via_delegate),
    smtp: {
      enabled: toBoolean(row.smtp_enabled),
      host: row.smtp_host,
      port: toNullableNumber(row.smtp_port),
      tls: row.smtp_tls as TlsMode | null,
      from: row.smtp_from,
    },
    enabled: toBoolean(row.enabled),
    status: row.status as AccountStatus,
    statusCode: row.status_code,
    statusDetail: row.status_detail,
    authorizedIdentity: row.authorized_identity,
    lastPollAt: toNullableNumber(row.last_poll_at),
    lastSuccessAt: toNullableNumber(row.last_success_at),
    nextPollAt: toNullableNumber(row.next_poll_at),
    failureCount: toNumber(row.failure_count),
    messagesFetched: toNumber(row.messages_fetched),
    lease:
      row.lease_owner === null || row.lease_until === null
        ? null
        : { owner: row.lease_owner, until: toNumber(row.lease_until) },
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

/** `oauth2_mail_tokens` row. */
export interface TokenRow {
  readonly account_id: DbInteger;
  readonly access_token_sealed: string;
  readonly access_expires_at: DbInteger;
  readonly refresh_token_sealed: string | null;
  readonly scope: string | null;
  readonly version: DbInteger;
  readonly obtained_at: DbInteger;
  readonly refreshed_at: DbInteger;
  readonly lease_owner: string | null;
  readonly lease_until: DbInteger | null;
}

/**
 * Maps a token row, opening the sealed tokens.
 * @throws PluginError ERR_SECRET_UNREADABLE from `secrets.open`
 */
export async function toStoredToken(row: TokenRow, secrets: SecretsPort): Promise<StoredToken> {
  return {
    accountId: String(row.account_id),
    accessToken: await secrets.open(row.access_token_sealed),
    accessTokenExpiresAt: toNumber(row.access_expires_at),
    refreshToken: row.refresh_token_sealed === null ? null : await secrets.open(row.refresh_token_sealed),
    scope: row.scope,
    version: toNumber(row.version),
    obtainedAt: toNumber(row.obtained_at),
    refreshedAt: toNumber(row.refreshed_at),
  };
}

/** `oauth2_mail_auth_requests` row. */
export interface AuthRequestRow {
  readonly state_hash: string;
  readonly account_id: DbInteger;
  readonly actor_id: string;
  readonly verifier_sealed: string;
  readonly nonce: string;
  readonly redirect_uri: string;
  readonly created_at: DbInteger;
  readonly expires_at: DbInteger;
  readonly consumed_at: DbInteger | null;
}

/**
 * Maps an auth request row, opening the sealed PKCE verifier.
 * @throws PluginError ERR_SECRET_UNREADABLE from `secrets.open`
 */
export async function toAuthRequest(row: AuthRequestRow, secrets: SecretsPort): Promise<AuthRequest> {
  return {
    stateHash: row.state_hash.trim(), // CHAR(64) may come back padded on some servers
    accountId: String(row.account_id),
    actorId: row.actor_id,
    codeVerifier: await secrets.open(row.verifier_sealed),
    nonce: row.nonce,
    redirectUri: row.redirect_uri,
    createdAt: toNumber(row.created_at),
    expiresAt: toNumber(row.expires_at),
    consumedAt: toNullableNumber(row.consumed_at),
  };
}

/** `oauth2_mail_events` row. */
export interface EventRow {
  readonly id: DbInteger;
  readonly at: DbInteger;
  readonly type: string;
  readonly account_id: DbInteger | null;
  readonly app_id: DbInteger | null;
  readonly actor_id: string | null;
  readonly code: string | null;
  readonly message: string;
}

/** Maps an event row. */
export function toPluginEvent(row: EventRow): PluginEvent {
  return {
    id: String(row.id),
    at: toNumber(row.at),
    type: row.type as EventType,
    accountId: row.account_id === null ? null : String(row.account_id),
    appId: row.app_id === null ? null : String(row.app_id),
    actorId: row.actor_id,
    code: row.code,
    message: row.message,
  };
}
