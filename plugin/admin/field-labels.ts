/**
 * The screen's name of each field of the app and account forms, so a message next to a field or above the form
 * reads "Client secret is required" rather than the service's "clientSecret: is required".
 */

/** Field name → the words the form labels it with (without the "(optional)" remarks). */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  provider: 'Provider',
  cloud: 'Cloud',
  tenant: 'Tenant',
  issuerUrl: 'Issuer URL',
  authorizeUrl: 'Authorization endpoint',
  tokenUrl: 'Token endpoint',
  revocationUrl: 'Revocation endpoint',
  userinfoUrl: 'Userinfo endpoint',
  deviceAuthorizationUrl: 'Device authorization endpoint',
  clientId: 'Client ID',
  credentialType: 'Credential',
  clientSecret: 'Client secret',
  secretExpiresAt: 'Client secret expiry',
  clientCertificate: 'Certificate',
  clientKey: 'Private key',
  assertionAlgorithm: 'Signature of the client assertion',
  serviceAccountKey: 'Service account key file',
  scopes: 'Scopes',
  appTokenScope: 'Scope of app tokens',
  servicePrincipalId: 'Object ID of the Enterprise application',
  authorizePrompt: 'Account choice at sign-in',
  authMode: 'Tokens come from',
  appId: 'App registration',
  mailbox: 'Mailbox address',
  protocol: 'Protocol',
  host: 'Server',
  port: 'Port',
  tls: 'Encryption',
  folder: 'Folder',
  initialSync: 'First fetch',
  postFetch: 'After a message became a ticket',
  postFetchAction: 'After a message became a ticket',
  postFetchFolder: 'Move to folder',
  pollIntervalSeconds: 'Check every',
  sharedViaDelegate: 'Shared mailbox via a delegate',
  enabled: 'Fetching',
  smtpEnabled: 'Sending replies',
  smtpHost: 'SMTP server',
  smtpPort: 'SMTP port',
  smtpTls: 'SMTP encryption',
  smtpFrom: 'From address',
};

/**
 * A service message ("is required", "must be …") as a sentence naming the field ("Client secret is required").
 * @param field - the service's field name
 * @param message - the service's message about it
 */
export function labelledMessage(field: string, message: string): string {
  const label = FIELD_LABELS[field];
  if (!label) return `${field}: ${message}`;
  return /^[a-z]/.test(message) ? `${label} ${message}` : `${label}: ${message}`;
}
