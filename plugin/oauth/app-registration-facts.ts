/**
 * What an admin registers at the provider for one app, in data: the redirect URI, the permissions (scopes) to grant
 * and when its credential expires. The console's `app add` / `app show` print it; the screen has its own box.
 */
import type { AppRegistration } from '../ports/app-repository';
import { providerFor } from './providers';
import { appTokenScope, splitScopes } from './scopes';

/** The facts of {@link appRegistrationFacts}. */
export interface AppRegistrationFacts {
  /** The exact redirect URI to register; null for a service account (no browser sign-in). */
  readonly redirectUri: string | null;
  /** Delegated permissions a person's sign-in asks for: reading mail, and sending where an account sends. */
  readonly delegatedScopes: { readonly read: readonly string[]; readonly send: readonly string[] };
  /** The scope of the app's own tokens (app-only, service account), null when the provider has none. */
  readonly appTokenScope: string | null;
  /** What the credential is and when it expires (epoch ms, null when unknown). */
  readonly credential: {
    readonly type: AppRegistration['credentialType'];
    readonly expiresAt: number | null;
    /** Whole days left (negative once expired), null when the expiry is unknown. */
    readonly daysLeft: number | null;
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The registration facts of `app`.
 * @param app - the app registration
 * @param redirectUri - the callback's public URL
 * @param now - epoch ms, for the days left
 */
export function appRegistrationFacts(app: AppRegistration, redirectUri: string, now: number): AppRegistrationFacts {
  const provider = providerFor(app.provider);
  const read = app.scopes ? splitScopes(app.scopes) : provider.defaultScopes(app, ['imap']);
  const withSend = app.scopes ? read : provider.defaultScopes(app, ['imap', 'smtp']);
  const expiresAt = app.credentialType === 'certificate' ? app.certificateExpiresAt : app.secretExpiresAt;
  return {
    redirectUri: app.credentialType === 'service_account' ? null : redirectUri,
    delegatedScopes: { read, send: withSend.filter((scope) => !read.includes(scope)) },
    appTokenScope: appTokenScope(app),
    credential: {
      type: app.credentialType,
      expiresAt: app.credentialType === 'service_account' ? null : expiresAt,
      daysLeft:
        app.credentialType === 'service_account' || expiresAt === null ? null : Math.floor((expiresAt - now) / DAY_MS),
    },
  };
}
