/**
 * The token service (docs/architecture.md#access-token): hands out valid access tokens and refreshes them so that no
 * refresh token is ever lost.
 *
 * - In one process: single flight per account (concurrent callers share one promise).
 * - Across processes: the refresh lease in the token row; one process refreshes, the others poll the row with a
 *   short backoff until its version changes (or the lease lapses and one of them takes over).
 * - The refreshed tokens are stored with compare-and-swap on `version` before anyone gets the new access token,
 *   so a rotated refresh token (Microsoft) is saved first; when the answer has no refresh token (Google), the old
 *   one is kept.
 * - invalid_grant: the row is read again (another process may have rotated the token meanwhile); only an
 *   unchanged row makes the account `needs_reauth`. invalid_client / expired secret: one incident for the app
 *   (AppIncidents), closed by the next refresh of any account of the app that succeeds. 5xx, timeouts, unreadable
 *   answers: transient, per-account backoff with jitter, the stored tokens kept (and a still-valid access token
 *   still handed out).
 * - App tokens (app-only client credentials, service-account JWT bearer) have no refresh token: a new one is
 *   requested the same way, under the same single flight, lease and compare-and-swap.
 */
import { appOfAccount } from './account-app';
import { PluginError, toPluginError } from '../errors';
import { newLeaseOwnerId } from '../lease-owner';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import { UnusableTokenResponseError, type OAuthClient, type TokenSet } from '../ports/oauth-client';
import type { StoredToken, TokenRepository } from '../ports/token-repository';
import type { AccessTokenGrant, AccessTokenProvider } from './access-token-provider';
import { TOKEN_STATUS_CODES, type AccountIncidents } from './account-incidents';
import type { AppIncidents } from './app-incidents';
import type { AppTokens } from './app-tokens';
import { authenticatedClientConfig } from './client-authentication';
import { explainCredentialError } from './credential-errors';
import { connectedDetail } from './identity';
import { providerFor } from './providers';
import type { EndpointResolver } from './providers/endpoint-resolver';
import { refreshScopes, requestedScopes } from './scopes';

/** Tuning of the token service; every field has a default. */
export interface TokenServiceOptions {
  /** A token expiring within this many ms is refreshed first (config token.refreshSkewSeconds). Default 5 min. */
  readonly refreshSkewMs?: number;
  /** How long the cross-process refresh lease is held at most; longer than the HTTP timeout. Default 45 s. */
  readonly leaseMs?: number;
  /** How long a process waits for another one's refresh before giving up. Default leaseMs + 15 s. */
  readonly waitTimeoutMs?: number;
  /** First and longest backoff after a transient failure. Defaults 5 s and 15 min. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** This process's lease owner id. Default {@link newLeaseOwnerId}. */
  readonly ownerId?: string;
  /** Seams for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Dependencies of {@link TokenService}. */
export interface TokenServiceDeps {
  readonly tokens: TokenRepository;
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly oauthClient: OAuthClient;
  readonly endpoints: EndpointResolver;
  /** New tokens for app-only and service-account accounts. */
  readonly appTokens: Pick<AppTokens, 'request'>;
  readonly incidents: AccountIncidents;
  readonly appIncidents: Pick<AppIncidents, 'failed' | 'recovered'>;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  readonly options?: TokenServiceOptions;
}

/** How one call refreshes: `force` skips a stored token that still looks valid; `keepAlive` keeps transient failures quiet. */
interface RefreshMode {
  readonly force: boolean;
  readonly keepAlive: boolean;
  readonly signal?: AbortSignal;
}

/** A token that stops working within this margin is not handed out even as a fallback. */
const MIN_REMAINING_MS = 10_000;

/** Identifies one stored state of a token row (a reconnect may restart `version`, never `obtainedAt` as well). */
function stamp(row: StoredToken): string {
  return `${row.version}:${row.obtainedAt}`;
}

function grantOf(row: StoredToken): AccessTokenGrant {
  return { accessToken: row.accessToken, expiresAt: row.accessTokenExpiresAt };
}

/** Implements {@link AccessTokenProvider}. */
export class TokenService implements AccessTokenProvider {
  private readonly flights = new Map<string, Promise<AccessTokenGrant>>();
  private readonly backoff = new Map<string, { failures: number; notBefore: number; error: PluginError }>();
  private readonly deadGrants = new Map<string, { stamp: string; error: PluginError }>();
  private readonly refreshSkewMs: number;
  private readonly leaseMs: number;
  private readonly waitTimeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly ownerId: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  /** @param deps - repositories, OAuth client, endpoint resolver, incident recorder, clock, logger, options */
  constructor(private readonly deps: TokenServiceDeps) {
    const options = deps.options ?? {};
    this.refreshSkewMs = options.refreshSkewMs ?? 5 * 60_000;
    this.leaseMs = options.leaseMs ?? 45_000;
    this.waitTimeoutMs = options.waitTimeoutMs ?? this.leaseMs + 15_000;
    this.backoffBaseMs = options.backoffBaseMs ?? 5_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 15 * 60_000;
    this.ownerId = options.ownerId ?? newLeaseOwnerId();
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** @inheritdoc */
  getAccessToken(
    accountId: string,
    options: { readonly forceRefresh?: boolean; readonly signal?: AbortSignal } = {},
  ): Promise<AccessTokenGrant> {
    const force = options.forceRefresh === true;
    const key = `${accountId}:${force}`;
    const inFlight = this.flights.get(key);
    if (inFlight) return inFlight;
    const flight = this.obtain(accountId, { force, keepAlive: false, signal: options.signal }).finally(() =>
      this.flights.delete(key),
    );
    this.flights.set(key, flight);
    return flight;
  }

  /**
   * Refreshes the grant once so the provider does not expire it for inactivity (keep-alive). A transient
   * failure while the stored access token is still valid changes nothing on the account.
   * @throws PluginError as {@link TokenService.getAccessToken}
   */
  refreshForKeepAlive(accountId: string): Promise<AccessTokenGrant> {
    const key = `${accountId}:true`;
    const inFlight = this.flights.get(key);
    if (inFlight) return inFlight;
    const flight = this.obtain(accountId, { force: true, keepAlive: true }).finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }

  /** Forgets what this process remembers about an account (after Connect or Disconnect). */
  forget(accountId: string): void {
    this.backoff.delete(accountId);
    this.deadGrants.delete(accountId);
  }

  private usable(row: StoredToken): boolean {
    return row.accessTokenExpiresAt - this.refreshSkewMs > this.deps.clock.now();
  }

  private stillValid(row: StoredToken): boolean {
    return row.accessTokenExpiresAt - MIN_REMAINING_MS > this.deps.clock.now();
  }

  private async obtain(accountId: string, mode: RefreshMode): Promise<AccessTokenGrant> {
    const { force } = mode;
    if (mode.signal?.aborted) throw new PluginError('ERR_TIMEOUT', 'The token request was cancelled.', { accountId });
    const row = await this.deps.tokens.find(accountId);
    if (!row) throw new PluginError('ERR_NOT_CONNECTED', undefined, { accountId });
    if (!force && this.usable(row)) return grantOf(row);

    const dead = this.deadGrants.get(accountId);
    if (dead && dead.stamp === stamp(row)) throw dead.error;

    const waiting = this.backoff.get(accountId);
    if (waiting && waiting.notBefore > this.deps.clock.now()) {
      if (!force && this.stillValid(row)) return grantOf(row);
      throw waiting.error;
    }
    return this.refreshUnderLease(accountId, row, mode);
  }

  private async refreshUnderLease(accountId: string, seen: StoredToken, mode: RefreshMode): Promise<AccessTokenGrant> {
    const outcome = await this.leaseOrWait(accountId, seen, mode);
    if (!outcome.leased) return grantOf(outcome.row);
    try {
      return await this.refreshLeased(accountId, outcome.row, mode);
    } finally {
      // compareAndSwap already cleared the lease on success; releasing by owner is harmless either way.
      await this.deps.tokens.releaseRefreshLease(accountId, this.ownerId).catch((error: unknown) => {
        this.deps.logger.warn('oauth2-mail: could not release the refresh lease (it lapses by itself)', {
          accountId,
          code: toPluginError(error).code,
        });
      });
    }
  }

  /** Takes the lease, or waits until another process's refresh shows up in the row. */
  private async leaseOrWait(
    accountId: string,
    seen: StoredToken,
    mode: RefreshMode,
  ): Promise<{ leased: boolean; row: StoredToken }> {
    const { force } = mode;
    let delay = 25;
    let waited = 0;
    for (;;) {
      const now = this.deps.clock.now();
      if (await this.deps.tokens.acquireRefreshLease(accountId, this.ownerId, now + this.leaseMs, now)) {
        const fresh = await this.deps.tokens.find(accountId);
        if (!fresh) throw new PluginError('ERR_NOT_CONNECTED', undefined, { accountId });
        // Another process may have finished its refresh between our read and our lease.
        if (stamp(fresh) !== stamp(seen) && (force || this.usable(fresh))) {
          await this.deps.tokens.releaseRefreshLease(accountId, this.ownerId);
          return { leased: false, row: fresh };
        }
        return { leased: true, row: fresh };
      }
      if (waited >= this.waitTimeoutMs) {
        throw new PluginError(
          'ERR_PROVIDER_UNAVAILABLE',
          'Another host process is refreshing this token and did not finish in time.',
          { accountId, waitedMs: waited },
        );
      }
      if (mode.signal?.aborted)
        throw new PluginError('ERR_TIMEOUT', 'The token request was cancelled while another process was refreshing.', {
          accountId,
        });
      await this.sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 500);
      const current = await this.deps.tokens.find(accountId);
      if (!current) throw new PluginError('ERR_NOT_CONNECTED', undefined, { accountId });
      if (stamp(current) !== stamp(seen) && (force || this.usable(current))) return { leased: false, row: current };
    }
  }

  private async refreshLeased(accountId: string, row: StoredToken, mode: RefreshMode): Promise<AccessTokenGrant> {
    const { force } = mode;
    const account = await this.deps.accounts.find(accountId);
    if (!account) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
    const delegated = account.authMode === 'delegated';
    if (delegated && !row.refreshToken) {
      if (!force && this.stillValid(row)) return grantOf(row);
      const error = new PluginError(
        'ERR_GRANT_INVALID',
        'No refresh token is stored for this mailbox (the provider issued none at Connect), ' +
          'so the expired access token cannot be renewed.',
        { accountId },
      );
      this.deadGrants.set(accountId, { stamp: stamp(row), error });
      await this.deps.incidents.failed(account, error);
      throw error;
    }
    const app = await appOfAccount(this.deps.apps, account);
    let answer: TokenSet;
    try {
      answer = delegated
        ? await this.refreshDelegated(app, account, row)
        : await this.deps.appTokens.request(app, account);
    } catch (thrown) {
      const issued = thrown instanceof UnusableTokenResponseError ? thrown.issuedRefreshToken : null;
      const current = await this.keepIssuedRefreshToken(account, row, issued);
      // App tokens arrive classified already (app-tokens.ts).
      const error = delegated
        ? explainCredentialError(app, providerFor(app.provider).classify(toPluginError(thrown)), this.deps.clock.now())
        : toPluginError(thrown);
      return this.refreshFailed(account, current, error, mode);
    }

    const now = this.deps.clock.now();
    const saved = await this.deps.tokens.compareAndSwap(accountId, row.version, {
      accessToken: answer.accessToken,
      accessTokenExpiresAt: answer.expiresAt,
      // Google (and simple-oauth2 5.1.0) return no refresh token on refresh: the stored one stays valid.
      refreshToken: answer.refreshToken ?? row.refreshToken,
      scope: answer.scope ?? row.scope,
      at: now,
    });
    if (!saved) {
      // Our lease lapsed and someone else stored a newer token; theirs wins, ours is dropped unused.
      const current = await this.deps.tokens.find(accountId);
      if (current && this.stillValid(current)) return grantOf(current);
      throw new PluginError('ERR_CONFLICT', 'The token was changed by another process during the refresh.', {
        accountId,
      });
    }
    this.backoff.delete(accountId);
    this.deadGrants.delete(accountId);
    const rotated = answer.refreshToken !== null && answer.refreshToken !== row.refreshToken;
    const validUntil = new Date(saved.accessTokenExpiresAt).toISOString();
    await this.deps.incidents.record(
      'token_refreshed',
      account,
      null,
      delegated
        ? `Access token refreshed (valid until ${validUntil}).`
        : `New app access token obtained (${account.authMode === 'app_only' ? 'client credentials' : 'service account'}, valid until ${validUntil}).`,
    );
    if (rotated)
      await this.deps.incidents.record(
        'token_rotated',
        account,
        null,
        'The provider rotated the refresh token; the new one is stored.',
      );
    // A token request of the app worked: an app incident is over for every account of the app.
    const current = await this.deps.appIncidents.recovered(account);
    await this.deps.incidents.recovered(current, {
      onlyFromCodes: TOKEN_STATUS_CODES,
      detail: connectedDetail(current.authorizedIdentity, current.mailbox),
    });
    return grantOf(saved);
  }

  /** A refresh of a delegated grant with its refresh token (Microsoft: the scopes repeated). */
  private async refreshDelegated(app: AppRegistration, account: MailAccount, row: StoredToken): Promise<TokenSet> {
    const resolved = await this.deps.endpoints.resolve(app);
    const config = await authenticatedClientConfig({ apps: this.deps.apps, clock: this.deps.clock }, app, resolved);
    const scope = providerFor(app.provider).refreshWithScope
      ? refreshScopes(requestedScopes(app, account), row.scope).join(' ')
      : null;
    return this.deps.oauthClient.refresh(config, { refreshToken: row.refreshToken ?? '', scope });
  }

  /**
   * An unusable answer that still carried a new refresh token: a rotating provider has retired the old one, so
   * the new one is stored (with the old access token) before anything else happens.
   * @returns the row to continue with
   */
  private async keepIssuedRefreshToken(
    account: MailAccount,
    row: StoredToken,
    issued: string | null,
  ): Promise<StoredToken> {
    if (!issued || issued === row.refreshToken) return row;
    try {
      const saved = await this.deps.tokens.compareAndSwap(account.id, row.version, {
        accessToken: row.accessToken,
        accessTokenExpiresAt: row.accessTokenExpiresAt,
        refreshToken: issued,
        scope: row.scope,
        at: row.refreshedAt,
      });
      if (!saved) return row;
      await this.deps.incidents.record(
        'token_rotated',
        account,
        null,
        'The provider rotated the refresh token in an answer that was otherwise unusable; ' +
          'the new refresh token is stored.',
      );
      return saved;
    } catch (error) {
      this.deps.logger.error('oauth2-mail: a rotated refresh token could not be stored', {
        accountId: account.id,
        code: toPluginError(error).code,
      });
      return row;
    }
  }

  private async refreshFailed(
    account: MailAccount,
    row: StoredToken,
    error: PluginError,
    mode: RefreshMode,
  ): Promise<AccessTokenGrant> {
    const { force } = mode;
    const status = error.info.status;
    if (status === 'needs_reauth') {
      // Another process may have rotated the refresh token we used: a changed row is not a dead grant.
      const current = await this.deps.tokens.find(account.id);
      if (current && stamp(current) !== stamp(row) && (force || this.stillValid(current))) return grantOf(current);
      this.deadGrants.set(account.id, { stamp: stamp(row), error });
      await this.deps.incidents.failed(account, error);
      throw error;
    }
    if (status === 'app_error') {
      await this.deps.appIncidents.failed(account, error);
      throw error;
    }
    if (error.info.retryable) {
      const previous = this.backoff.get(account.id);
      const failures = (previous?.failures ?? 0) + 1;
      const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (failures - 1));
      const delay = Math.round(ceiling * (0.5 + this.random() * 0.5));
      const notBefore = this.deps.clock.now() + delay;
      const retryError = new PluginError(
        error.code,
        `${error.message} Next attempt after ${new Date(notBefore).toISOString()}.`,
        error.details,
      );
      this.backoff.set(account.id, { failures, notBefore, error: retryError });
      this.deps.logger.warn('oauth2-mail: token refresh failed, will retry', {
        accountId: account.id,
        code: error.code,
        failures,
        retryInMs: delay,
      });
      if (!force && this.stillValid(row)) return grantOf(row);
      if (mode.keepAlive && this.stillValid(row)) throw retryError;
      await this.deps.incidents.failed(account, retryError);
      throw retryError;
    }
    await this.deps.incidents.failed(account, error);
    throw error;
  }
}
