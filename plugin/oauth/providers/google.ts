/**
 * Google / Gmail (docs/providers.md#google): fixed endpoints, the one mail scope https://mail.google.com/, and
 * access_type=offline + prompt=consent, without which Google issues no refresh token.
 */
import type { PluginError, PluginErrorCode } from '../../errors';
import type { MailAccount } from '../../ports/account-repository';
import type { AppRegistration } from '../../ports/app-repository';
import type { OAuthEndpoints } from '../../ports/oauth-client';
import { classifyStandard, isTransportError, recode } from './oauth-error-codes';
import type { MailServer, MailService, OAuthProvider } from './provider';

/** Google's `error` values beyond RFC 6749 (docs/providers.md#google-token-errors). */
const GOOGLE_ERRORS: Readonly<Record<string, PluginErrorCode>> = {
  // A Workspace admin restricted the service or the scope for this user: an admin must allow it, then re-authorize.
  admin_policy_enforced: 'ERR_CONSENT_REQUIRED',
  org_internal: 'ERR_PROVIDER_CONFIG',
  deleted_client: 'ERR_CLIENT_INVALID',
  disabled_client: 'ERR_CLIENT_INVALID',
  invalid_rapt: 'ERR_INTERACTION_REQUIRED',
};

/** The Google provider. */
export const googleProvider: OAuthProvider = {
  kind: 'google',
  refreshWithScope: false,

  presetEndpoints(_app: AppRegistration): OAuthEndpoints {
    return {
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
      jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
      issuer: 'https://accounts.google.com',
      deviceAuthorizationUrl: 'https://oauth2.googleapis.com/device/code',
    };
  },

  defaultScopes(_app: AppRegistration, _services: readonly MailService[]): string[] {
    // One scope covers IMAP, POP and SMTP; Google has no offline_access scope (access_type=offline instead).
    return ['https://mail.google.com/', 'openid', 'email'];
  },

  defaultAppTokenScope(_app: AppRegistration): string {
    return 'https://mail.google.com/';
  },

  authorizeParams(_account: MailAccount): Readonly<Record<string, string>> {
    // consent: a refresh token on every Connect, not just the first; select_account: the admin picks the account
    // instead of the one signed in at Google in this browser.
    return { access_type: 'offline', prompt: 'consent select_account' };
  },

  defaultServer(_app: AppRegistration, service: MailService): MailServer {
    if (service === 'smtp') return { host: 'smtp.gmail.com', port: 465, tls: 'implicit' };
    if (service === 'pop') return { host: 'pop.gmail.com', port: 995, tls: 'implicit' };
    return { host: 'imap.gmail.com', port: 993, tls: 'implicit' };
  },

  classify(error: PluginError): PluginError {
    if (isTransportError(error)) return error;
    for (const value of [error.details.providerError, error.details.suberror]) {
      if (typeof value === 'string' && GOOGLE_ERRORS[value]) return recode(error, GOOGLE_ERRORS[value]!);
    }
    // "Token has been expired or revoked." and "Bad Request" are both invalid_grant: the stored grant is unusable.
    return classifyStandard(error);
  },
};
