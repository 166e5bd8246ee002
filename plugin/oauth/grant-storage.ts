/**
 * The end of every Connect (code flow, device flow, app-only and service-account Connect): the tokens stored
 * (replacing any, the token service's memory of the account cleared), the status `connected` with who signed in,
 * the open incident (and the app's, if one is open) resolved and `token_obtained` recorded. Called only once every check has passed.
 */
import type { MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { TokenSet } from '../ports/oauth-client';
import type { TokenRepository } from '../ports/token-repository';
import type { AccountIncidents } from './account-incidents';
import type { AppIncidents } from './app-incidents';
import { connectedDetail } from './identity';

/** What a successful Connect produced. */
export interface ConnectResult {
  readonly accountId: string;
  readonly mailbox: string;
  /** Who signed in (display form), or null when nobody did (app tokens) or the provider told nothing. */
  readonly authorizedIdentity: string | null;
  /** True when someone other than the mailbox signed in and the mailbox opened with their token. */
  readonly delegate: boolean;
  /** "Signed in as X" / "Signed in as X for mailbox Y" / "Connected to mailbox Y …". */
  readonly message: string;
}

/** Dependencies of {@link storeGrant}. */
export interface GrantStorageDeps {
  readonly tokens: TokenRepository;
  readonly incidents: AccountIncidents;
  /** A grant that works ends the app's incident, if one is open (the provider accepts the app again). */
  readonly appIncidents: Pick<AppIncidents, 'recovered'>;
  readonly clock: Clock;
  /** Called after tokens were stored, so caches forget the account (the token service's). */
  readonly onTokensReplaced?: (accountId: string) => void;
}

/** How the grant was obtained, for the status line and the event. */
export interface GrantOutcome {
  readonly authorizedIdentity: string | null;
  readonly delegate: boolean;
  readonly actorId: string | null;
  /** The status line instead of "Signed in as …" (app tokens). */
  readonly message?: string;
  /** Words added to the event, e.g. "(device sign-in)". */
  readonly via?: string;
  /** Warn when no refresh token came (a delegated grant then ends with its access token). */
  readonly expectRefreshToken: boolean;
}

/**
 * Stores a checked grant.
 * @returns what the admin is told
 */
export async function storeGrant(
  deps: GrantStorageDeps,
  account: MailAccount,
  tokens: TokenSet,
  outcome: GrantOutcome,
): Promise<ConnectResult> {
  await deps.tokens.replace(account.id, {
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.expiresAt,
    refreshToken: tokens.refreshToken,
    scope: tokens.scope,
    at: deps.clock.now(),
  });
  deps.onTokensReplaced?.(account.id);
  const message = outcome.message ?? connectedDetail(outcome.authorizedIdentity, account.mailbox);
  const warning =
    outcome.expectRefreshToken && !tokens.refreshToken
      ? ' The provider issued no refresh token: the mailbox must be connected again when the access token expires.'
      : '';
  const current = await deps.appIncidents.recovered(account);
  await deps.incidents.recovered(current, {
    detail: `${message}${warning}`,
    authorizedIdentity: outcome.authorizedIdentity,
  });
  const proof = outcome.delegate ? ' (delegate access proven by a mailbox login)' : '';
  await deps.incidents.record(
    'token_obtained',
    account,
    null,
    `${message}${proof}${outcome.via ? ` ${outcome.via}` : ''}${warning}`,
    outcome.actorId,
  );
  return {
    accountId: account.id,
    mailbox: account.mailbox,
    authorizedIdentity: outcome.authorizedIdentity,
    delegate: outcome.delegate,
    message,
  };
}
