/**
 * Disconnect (docs/architecture.md#disconnect): revoke at the provider where it supports RFC 7009 (Google, generic
 * servers that publish a revocation endpoint), then delete the tokens and record it. Microsoft has no revocation
 * endpoint: the tokens are only deleted. A revocation that fails never keeps the tokens.
 */
import { PluginError, toPluginError } from '../errors';
import type { AccountRepository } from '../ports/account-repository';
import type { AppRepository } from '../ports/app-repository';
import type { OAuthClient } from '../ports/oauth-client';
import type { TokenRepository } from '../ports/token-repository';
import type { Clock } from '../ports/clock';
import type { AccountIncidents } from './account-incidents';
import { authenticatedClientConfig } from './client-authentication';
import type { EndpointResolver } from './providers/endpoint-resolver';

/** What Disconnect did. */
export interface DisconnectResult {
  readonly accountId: string;
  /** True when the provider confirmed the revocation. */
  readonly revoked: boolean;
  /** False for providers without a revocation endpoint (Microsoft). */
  readonly revocationSupported: boolean;
  /** Why the revocation failed, when it did (the tokens were deleted anyway). */
  readonly warning: string | null;
}

/** Dependencies of {@link DisconnectService}. */
export interface DisconnectServiceDeps {
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly tokens: TokenRepository;
  readonly oauthClient: OAuthClient;
  readonly endpoints: EndpointResolver;
  readonly incidents: AccountIncidents;
  readonly clock: Clock;
  readonly onTokensReplaced?: (accountId: string) => void;
}

/** Disconnects accounts. */
export class DisconnectService {
  /** @param deps - repositories, OAuth client, endpoint resolver, incidents */
  constructor(private readonly deps: DisconnectServiceDeps) {}

  /**
   * @param accountId - the mail account
   * @param actorId - who asked (recorded in the event)
   * @param actorName - who asked, as the account's status says it ("Disconnected by admin@example.com at …")
   * @throws PluginError ERR_NOT_FOUND | ERR_DATABASE_UNAVAILABLE
   */
  async disconnect(
    accountId: string,
    actorId: string | null,
    actorName: string | null = null,
  ): Promise<DisconnectResult> {
    const account = await this.deps.accounts.find(accountId);
    if (!account) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
    const stored = await this.deps.tokens.find(accountId);
    let revoked = false;
    let revocationSupported = false;
    let warning: string | null = null;
    const app = await this.deps.apps.find(account.appId);
    // An app's own token (app-only, service account) is no grant of a person: there is nothing to revoke.
    if (stored && app && account.authMode === 'delegated') {
      try {
        const resolved = await this.deps.endpoints.resolve(app);
        revocationSupported = resolved.endpoints.revocationUrl !== null;
        if (revocationSupported) {
          // Revoking the refresh token ends the whole grant (RFC 7009 §2.1); without one, the access token is all there is.
          const token = stored.refreshToken
            ? { token: stored.refreshToken, tokenTypeHint: 'refresh_token' as const }
            : { token: stored.accessToken, tokenTypeHint: 'access_token' as const };
          const config = await authenticatedClientConfig(this.deps, app, resolved);
          await this.deps.oauthClient.revoke(config, token);
          revoked = true;
        }
      } catch (error) {
        warning = toPluginError(error).message;
      }
    }
    await this.deps.tokens.delete(accountId);
    this.deps.onTokensReplaced?.(accountId);
    await this.deps.incidents.resolveOpen(account);
    const at = new Date(this.deps.clock.now()).toISOString().slice(0, 16).replace('T', ' ');
    const detail = `Disconnected${actorName ? ` by ${actorName}` : ''} at ${at} UTC: click Connect to resume.`;
    await this.deps.accounts.setStatus(accountId, {
      status: 'not_connected',
      statusCode: null,
      statusDetail: detail,
      authorizedIdentity: null,
    });
    if (account.status !== 'not_connected')
      await this.deps.incidents.record(
        'status_changed',
        account,
        null,
        `Status ${account.status} -> not_connected: ${detail}`,
        actorId,
      );
    if (revoked)
      await this.deps.incidents.record(
        'token_revoked',
        account,
        null,
        'The provider confirmed the revocation of the grant.',
        actorId,
      );
    if (warning)
      await this.deps.incidents.record(
        'token_revoked',
        account,
        'ERR_REVOCATION_FAILED',
        `Revocation not confirmed: ${warning}`,
        actorId,
      );
    await this.deps.incidents.record(
      'disconnected',
      account,
      null,
      stored ? 'Disconnected: the tokens were deleted.' : 'Disconnected (no tokens were stored).',
      actorId,
    );
    return { accountId, revoked, revocationSupported, warning };
  }
}
