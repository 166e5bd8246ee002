/** The scopes an account's authorization asks for. */
import type { MailAccount } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';
import { providerFor } from './providers';
import type { MailService } from './providers/provider';
import { mailServiceOf } from '../accounts/protocol-settings';

/** Splits a space-separated scope string, dropping empty parts and duplicates. */
export function splitScopes(scopes: string): string[] {
  return [...new Set(scopes.split(/\s+/).filter((scope) => scope.length > 0))];
}

/** The app's scope override, or the provider's default for the account's protocol (and SMTP when it sends). */
export function requestedScopes(app: AppRegistration, account: Pick<MailAccount, 'protocol' | 'smtp'>): string[] {
  if (app.scopes && app.scopes.trim().length > 0) return splitScopes(app.scopes);
  const mail = mailServiceOf(account.protocol);
  const services: MailService[] = account.smtp.enabled ? [mail, 'smtp'] : [mail];
  return providerFor(app.provider).defaultScopes(app, services);
}

/** Scopes about who signed in and offline access, which a token endpoint does not list back. */
const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * The scope of the app's own tokens (app-only, service account): the app's setting, else the provider's default
 * (Microsoft `https://outlook.office365.com/.default` per cloud, Google `https://mail.google.com/`), else the app's
 * scope override without the sign-in scopes, else none.
 */
export function appTokenScope(app: AppRegistration): string | null {
  if (app.appTokenScope && app.appTokenScope.trim().length > 0) return splitScopes(app.appTokenScope).join(' ');
  const preset = providerFor(app.provider).defaultAppTokenScope(app);
  if (preset) return preset;
  const resources = splitScopes(app.scopes ?? '').filter((scope) => !IDENTITY_SCOPES.has(scope));
  return resources.length > 0 ? resources.join(' ') : null;
}

/**
 * The scopes of a refresh request: the requested ones, without a mail scope the grant does not hold. Asking a
 * refresh for more than the user consented to fails the grant (Entra: AADSTS65001), so switching sending on for
 * a connected account must not stop its fetching; the send permission comes with the next Re-authorize.
 * @param requested - {@link requestedScopes} for the account now
 * @param granted - the scope the provider granted (stored with the token), or null when it did not say
 */
export function refreshScopes(requested: readonly string[], granted: string | null): string[] {
  if (!granted) return [...requested];
  const held = new Set(splitScopes(granted));
  const kept = requested.filter((scope) => IDENTITY_SCOPES.has(scope) || held.has(scope));
  // A provider that lists granted scopes in another form (no resource prefix) would leave no mail scope: ask as before.
  return kept.some((scope) => !IDENTITY_SCOPES.has(scope)) ? kept : [...requested];
}

/**
 * Which cause of a refused mail login (ERR_MAIL_AUTH_FAILED) the granted scope points at: `scope_missing` when the
 * token endpoint granted none of the provider's mail scopes for IMAP, `protocol_disabled` when it granted one (so
 * the mailbox refuses the protocol itself); null when the provider has no known mail scope or did not say what it
 * granted. Exchange answers "AUTHENTICATE failed." for both, so only the granted scope tells them apart.
 * @param app - the account's app registration
 * @param granted - the scope stored with the token (the token endpoint's `scope`), or null
 */
export function mailLoginRefusalCause(
  app: AppRegistration,
  granted: string | null,
): 'scope_missing' | 'protocol_disabled' | null {
  if (!granted) return null;
  const mailScopes = providerFor(app.provider)
    .defaultScopes(app, ['imap'])
    .filter((scope) => !IDENTITY_SCOPES.has(scope));
  if (mailScopes.length === 0) return null;
  const held = new Set(splitScopes(granted));
  return mailScopes.some((scope) => held.has(scope)) ? 'protocol_disabled' : 'scope_missing';
}
