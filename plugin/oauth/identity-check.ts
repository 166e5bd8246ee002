/**
 * The identity check of Connect (docs/architecture.md#connect, step 5 and 6), shared by the code flow and the
 * device flow: who signed in (ID token, else userinfo), and when that is not the mailbox, a mailbox login with the
 * new token before anything is stored. App tokens (app-only, service account) have no identity: the mailbox
 * login alone proves access.
 */
import { mailConnectionOf } from '../accounts/mail-connection';
import { PluginError, toPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/host';
import type { MailFetcher } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import type { OAuthClient, TokenSet } from '../ports/oauth-client';
import { verifyIdToken } from './id-token';
import { identityFromClaims, identityOwnsMailbox, type AuthorizedIdentity } from './identity';
import type { ResolvedEndpoints } from './providers/endpoint-resolver';

/** Dependencies of {@link IdentityCheck}. */
export interface IdentityCheckDeps {
  readonly oauthClient: OAuthClient;
  /** Proves access to the mailbox when the signed-in identity is not the mailbox. */
  readonly mailFetcher: MailFetcher;
  /** The same proof for POP3 accounts (a POP3 login). */
  readonly pop3Fetcher?: Pop3Fetcher;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  /** Extra CA for the mail server (tests, private servers). */
  readonly mailCaCertPem?: string | null;
  readonly mailTimeoutMs?: number;
}

/** What the check found. */
export interface CheckedIdentity {
  readonly identity: AuthorizedIdentity | null;
  /** True when someone other than the mailbox signed in and the mailbox opened with their token. */
  readonly delegate: boolean;
}

/** Checks who signed in and that they can open the mailbox. */
export class IdentityCheck {
  /** @param deps - OAuth client (keys, userinfo), mail fetcher, clock, logger, mail CA */
  constructor(private readonly deps: IdentityCheckDeps) {}

  /**
   * @param nonce - the nonce sent with the authorization request; undefined when none was (device flow)
   * @throws PluginError ERR_ID_TOKEN_INVALID | ERR_IDENTITY_MISMATCH | a mail server error of the proof login
   */
  async verify(
    account: MailAccount,
    clientId: string,
    resolved: ResolvedEndpoints,
    tokens: TokenSet,
    nonce: string | undefined,
  ): Promise<CheckedIdentity> {
    const identity = await this.readIdentity(clientId, resolved, tokens, nonce);
    if (identity && identityOwnsMailbox(identity, account.mailbox)) return { identity, delegate: false };
    const who = identity?.display ?? 'an account the provider did not name';
    try {
      await this.proveMailbox(account, tokens.accessToken);
    } catch (thrown) {
      const error = toPluginError(thrown);
      if (error.code === 'ERR_MAIL_AUTH_FAILED' || error.code === 'ERR_MAILBOX_ACCESS_DENIED') {
        throw new PluginError(
          'ERR_IDENTITY_MISMATCH',
          `Signed in as ${who}, who cannot open mailbox ${account.mailbox}. Nothing was stored.`,
          { authorizedIdentity: identity?.display, mailbox: account.mailbox, mailError: error.code },
        );
      }
      throw new PluginError(
        error.code,
        `Signed in as ${who}, not as mailbox ${account.mailbox}, ` +
          `and the mailbox login that would prove access failed: ${error.message} Nothing was stored.`,
        { ...error.details, authorizedIdentity: identity?.display },
      );
    }
    return { identity, delegate: identity !== null };
  }

  /**
   * Logs in to the account's mailbox with `accessToken` and out again.
   * @throws PluginError the mail server's refusal (ERR_MAIL_AUTH_FAILED, ERR_MAILBOX_ACCESS_DENIED, …)
   */
  async proveMailbox(account: MailAccount, accessToken: string): Promise<void> {
    const connection = mailConnectionOf(account, accessToken, {
      caCertPem: this.deps.mailCaCertPem,
      timeoutMs: this.deps.mailTimeoutMs ?? 30_000,
    });
    if (account.protocol === 'pop3') {
      if (!this.deps.pop3Fetcher) throw new PluginError('ERR_INTERNAL', 'POP3 is not wired into the identity check.');
      // QUIT, not just a closed socket: the maildrop lock ends at once and nothing is marked for deletion.
      await (await this.deps.pop3Fetcher.connect(connection)).quit();
      return;
    }
    const session = await this.deps.mailFetcher.connect(connection);
    await session.close();
  }

  /** The identity from the ID token (checked), else from userinfo, else unknown. */
  private async readIdentity(
    clientId: string,
    resolved: ResolvedEndpoints,
    tokens: TokenSet,
    nonce: string | undefined,
  ): Promise<AuthorizedIdentity | null> {
    if (tokens.idToken && resolved.endpoints.jwksUri && resolved.endpoints.issuer) {
      const claims = await verifyIdToken(this.deps.oauthClient, resolved.endpoints, tokens.idToken, {
        clientId,
        nonce,
        now: this.deps.clock.now(),
      });
      return identityFromClaims(claims);
    }
    if (resolved.endpoints.userinfoUrl) {
      try {
        return identityFromClaims(
          await this.deps.oauthClient.fetchUserinfo(resolved.endpoints.userinfoUrl, tokens.accessToken),
        );
      } catch (error) {
        // The mailbox login still proves access; a userinfo outage must not block Connect.
        this.deps.logger.warn('oauth2-mail: userinfo could not be read; proving access by a mailbox login', {
          code: toPluginError(error).code,
        });
      }
    }
    return null;
  }
}
