/**
 * Any standards-compliant OAuth2 / OpenID Connect server: endpoints from discovery of the issuer URL or entered
 * explicitly, scopes from the app (resource scopes such as `mail` next to `openid email offline_access`).
 */
import type { PluginError } from '../../errors';
import type { MailAccount } from '../../ports/account-repository';
import type { AppRegistration } from '../../ports/app-repository';
import { classifyStandard } from './oauth-error-codes';
import type { MailServer, MailService, OAuthProvider } from './provider';

/** The generic provider. */
export const genericProvider: OAuthProvider = {
  kind: 'generic',
  refreshWithScope: false,

  presetEndpoints(_app: AppRegistration): null {
    return null;
  },

  defaultScopes(_app: AppRegistration, _services: readonly MailService[]): string[] {
    // Discovery does not say which scope opens the mailbox: the admin adds it to the app's scopes.
    return ['openid', 'email', 'offline_access'];
  },

  defaultAppTokenScope(_app: AppRegistration): null {
    return null;
  },

  authorizeParams(_account: MailAccount, app: AppRegistration): Readonly<Record<string, string>> {
    // Not every server knows select_account (oidc-provider refuses an unknown prompt): the app says what to send.
    return app.authorizePrompt ? { prompt: app.authorizePrompt } : {};
  },

  defaultServer(_app: AppRegistration, _service: MailService): MailServer | null {
    return null;
  },

  classify(error: PluginError): PluginError {
    return classifyStandard(error);
  },
};
