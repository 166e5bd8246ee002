/** The scopes an account's authorization asks for. */
import type { MailAccount } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';
import { providerFor } from './providers';

/** Splits a space-separated scope string, dropping empty parts and duplicates. */
export function splitScopes(scopes: string): string[] {
  return [...new Set(scopes.split(/\s+/).filter((scope) => scope.length > 0))];
}

/** The app's scope override, or the provider's default for the account's protocol. */
export function requestedScopes(app: AppRegistration, account: Pick<MailAccount, 'protocol'>): string[] {
  if (app.scopes && app.scopes.trim().length > 0) return splitScopes(app.scopes);
  return providerFor(app.provider).defaultScopes(app, [account.protocol]);
}
