/**
 * What a provider's refusal means for the app's kind of credential: a refused client assertion is about the
 * certificate (expired, by its own notAfter, or not the one uploaded), not about a pasted secret; a service
 * account's "not authorized for any of the scopes requested" is the missing domain-wide delegation, and its "Invalid
 * email or User ID" is this mailbox (docs/providers.md#google-service-accounts).
 */
import { PluginError, type PluginErrorCode } from '../errors';
import type { AppRegistration } from '../ports/app-repository';
import { appTokenScope } from './scopes';

function recoded(error: PluginError, code: PluginErrorCode, detail?: string): PluginError {
  return new PluginError(code, detail ?? error.message, error.details);
}

/**
 * Refines an already classified token-endpoint error by the app's credential.
 * @param now - epoch ms (an expired certificate is told apart from a wrong one)
 */
export function explainCredentialError(app: AppRegistration, error: PluginError, now: number): PluginError {
  if (app.credentialType === 'certificate' && error.code === 'ERR_CLIENT_INVALID') {
    if (app.certificateExpiresAt !== null && app.certificateExpiresAt <= now) {
      const expired = new Date(app.certificateExpiresAt).toISOString().slice(0, 10);
      return recoded(
        error,
        'ERR_CLIENT_CERTIFICATE_EXPIRED',
        `The certificate expired on ${expired}. ${error.message}`,
      );
    }
    return recoded(error, 'ERR_CLIENT_ASSERTION_REFUSED');
  }
  if (app.credentialType === 'service_account') {
    const description = typeof error.details.providerDescription === 'string' ? error.details.providerDescription : '';
    if (error.details.providerError === 'unauthorized_client')
      return recoded(
        error,
        'ERR_DELEGATION_DENIED',
        `Service account ${app.serviceAccountEmail ?? ''} (client id ${app.clientId}) may not act for users with ` +
          `the scope ${appTokenScope(app) ?? '(none)'}: add exactly these to the domain-wide delegation entry. ` +
          error.message,
      );
    if (error.code === 'ERR_GRANT_INVALID')
      return recoded(
        error,
        /invalid email|user id/i.test(description) ? 'ERR_APP_MAILBOX_ACCESS_DENIED' : 'ERR_CLIENT_ASSERTION_REFUSED',
      );
    if (error.code === 'ERR_CLIENT_INVALID') return recoded(error, 'ERR_CLIENT_ASSERTION_REFUSED');
  }
  return error;
}

/**
 * A mail server's refusal of an app's own token (app-only, service account) is the app's access to this mailbox,
 * not a grant to re-authorize: Exchange's "User is authenticated but not connected" or a refused login.
 */
export function explainAppMailboxRefusal(error: PluginError, mailbox: string): PluginError {
  if (error.code !== 'ERR_MAIL_AUTH_FAILED' && error.code !== 'ERR_MAILBOX_ACCESS_DENIED') return error;
  return new PluginError(
    'ERR_APP_MAILBOX_ACCESS_DENIED',
    `The mail server refused the app's token for mailbox ${mailbox}: ${error.message}`,
    { ...error.details, mailError: error.code },
  );
}
