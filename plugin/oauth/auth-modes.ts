/**
 * Which auth mode an account may use with which app registration (docs/architecture.md#auth-modes): a person's
 * sign-in (`delegated`) needs a client secret or certificate; the app's own token (`app_only`, client credentials)
 * exists at Microsoft and generic servers, with a secret or certificate; a `service_account` account needs an app
 * holding a service account key.
 */
import type { AuthMode } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';

/** The auth modes in words. */
export const AUTH_MODE_LABELS: Readonly<Record<AuthMode, string>> = {
  delegated: 'a person signs in (delegated)',
  app_only: 'the app itself, no sign-in (app-only)',
  service_account: 'a Google service account acting for the mailbox',
};

/**
 * @returns why `app` cannot serve an account in `mode`, or null when it can
 */
export function authModeProblem(app: AppRegistration, mode: AuthMode): string | null {
  if (mode === 'service_account')
    return app.credentialType === 'service_account'
      ? null
      : `needs an app registration that holds a service account key; "${app.name}" has none`;
  if (app.credentialType === 'service_account')
    return `"${app.name}" holds a service account key: its mailboxes use the service-account mode`;
  if (mode === 'app_only' && app.provider === 'google')
    return 'Google has no app-only access to mailboxes: use a service account with domain-wide delegation';
  return null;
}
