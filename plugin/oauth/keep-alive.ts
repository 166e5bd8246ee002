/**
 * Keep-alive (docs/architecture.md#keep-alive): a grant idle for `keepAliveDays` is refreshed once, so providers that
 * expire unused refresh tokens (Microsoft after 90 days, Google after 6 months) never do. The poll task calls
 * {@link KeepAlive.run} every cycle; it costs one token-row read per account and no request until a grant is due.
 * The same pass warns about client secrets and certificates about to expire.
 */
import { toPluginError } from '../errors';
import type { AccountRepository } from '../ports/account-repository';
import type { AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort, NotifyPort } from '../ports/host';
import type { TokenRepository } from '../ports/token-repository';
import type { AccountIncidents } from './account-incidents';
import { checkCredentialExpiry } from './secret-expiry';
import type { TokenService } from './token-service';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Credential expiry moves by days: checking every ten minutes is plenty. */
const SECRET_CHECK_EVERY_MS = 10 * 60 * 1000;

/** What one keep-alive pass did. */
export interface KeepAliveResult {
  readonly refreshed: readonly string[];
  readonly failed: ReadonlyArray<{ readonly accountId: string; readonly code: string }>;
  /** Apps whose client secret or certificate expires within 30 days (or has expired): the admin was notified. */
  readonly secretsExpiring: readonly string[];
}

/** Dependencies of {@link KeepAlive}. */
export interface KeepAliveDeps {
  readonly accounts: AccountRepository;
  /** With `notify`: the credential expiry warnings run in the same pass. */
  readonly apps?: AppRepository;
  readonly notify?: NotifyPort;
  readonly tokens: TokenRepository;
  readonly tokenService: Pick<TokenService, 'refreshForKeepAlive'>;
  readonly incidents: AccountIncidents;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  /** Config token.keepAliveDays. */
  readonly keepAliveDays: number;
}

/** Refreshes idle grants. */
export class KeepAlive {
  private lastSecretCheck = Number.NEGATIVE_INFINITY;

  /** @param deps - repositories, token service, clock, logger, and the idle limit in days */
  constructor(private readonly deps: KeepAliveDeps) {}

  /**
   * One pass over the enabled, connected accounts.
   * @param signal - stops between accounts
   */
  async run(signal?: AbortSignal): Promise<KeepAliveResult> {
    const refreshed: string[] = [];
    const failed: Array<{ accountId: string; code: string }> = [];
    const idleLimit = this.deps.keepAliveDays * DAY_MS;
    for (const account of await this.deps.accounts.list()) {
      if (signal?.aborted) break;
      if (!account.enabled || account.status !== 'connected') continue;
      const row = await this.deps.tokens.find(account.id);
      if (!row?.refreshToken || this.deps.clock.now() - row.refreshedAt < idleLimit) continue;
      try {
        await this.deps.tokenService.refreshForKeepAlive(account.id);
        refreshed.push(account.id);
        await this.deps.incidents.record(
          'keep_alive',
          account,
          null,
          `The grant was idle for ${this.deps.keepAliveDays} days and was refreshed so the provider keeps it.`,
        );
      } catch (error) {
        const code = toPluginError(error).code;
        failed.push({ accountId: account.id, code });
        this.deps.logger.warn('oauth2-mail: keep-alive refresh failed', { accountId: account.id, code });
      }
    }
    const { apps, notify } = this.deps;
    let secretsExpiring: string[] = [];
    if (apps && notify && !signal?.aborted && this.deps.clock.now() - this.lastSecretCheck >= SECRET_CHECK_EVERY_MS) {
      this.lastSecretCheck = this.deps.clock.now();
      secretsExpiring = await checkCredentialExpiry({
        apps,
        accounts: this.deps.accounts,
        notify,
        clock: this.deps.clock,
        logger: this.deps.logger,
      });
    }
    return { refreshed, failed, secretsExpiring };
  }
}
