/** The behaviour every provider kind (Microsoft, Google, generic) supplies: data plus a few small functions. */
import type { PluginError } from '../../errors';
import type { MailAccount, TlsMode } from '../../ports/account-repository';
import type { AppRegistration, ProviderKind } from '../../ports/app-repository';
import type { OAuthEndpoints } from '../../ports/oauth-client';

/** The mail services a token can be asked for. */
export type MailService = 'imap' | 'pop' | 'smtp';

/** A mail server address. */
export interface MailServer {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
}

/** One provider kind. */
export interface OAuthProvider {
  readonly kind: ProviderKind;
  /** The built-in endpoints of the app's cloud / tenant; null when the provider has none (generic). */
  presetEndpoints(app: AppRegistration): OAuthEndpoints | null;
  /** Scopes requested when the app has no override, for the services the account uses. */
  defaultScopes(app: AppRegistration, services: readonly MailService[]): string[];
  /**
   * The scope of the app's own tokens (app-only client credentials, service-account JWT bearer) when the app names
   * none; null when the provider has no default (generic).
   */
  defaultAppTokenScope(app: AppRegistration): string | null;
  /** Extra parameters of the authorization request (e.g. Google's access_type=offline + prompt=consent). */
  authorizeParams(account: MailAccount, app: AppRegistration): Readonly<Record<string, string>>;
  /** Whether a refresh request repeats the scope (Microsoft: the first scope's resource decides the token's audience). */
  readonly refreshWithScope: boolean;
  /** The default server for a service, or null when the admin must enter one. */
  defaultServer(app: AppRegistration, service: MailService): MailServer | null;
  /** Refines the code of an error from the provider (token endpoint answer or `error=` on the redirect). */
  classify(error: PluginError): PluginError;
}
