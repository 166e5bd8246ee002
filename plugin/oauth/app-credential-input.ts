/**
 * The credential part of an app registration's input (docs/architecture.md#auth-modes): which kind, and the
 * material that goes with it, checked once here. A client secret as before; a certificate (PEM) with its private
 * key, the key matching the certificate, its expiry read from the certificate; or a Google service account's JSON
 * key file, of which the fields the JWT bearer grant needs are kept. Keys are write-only: left out on an update of
 * the same kind, the stored ones stay.
 */
import type { AppRegistration, AssertionAlgorithm, CredentialType, ProviderKind } from '../ports/app-repository';
import { assertKeyMatchesCertificate, readClientCertificate } from './client-certificate';
import { assertProviderUrl } from './providers/url-policy';
import { parseServiceAccountKey } from './service-account-key';

/** The credential fields as a form or the console sends them. */
export interface CredentialFields {
  readonly credentialType?: CredentialType;
  readonly clientSecret?: string;
  readonly secretExpiresAt?: number;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly assertionAlgorithm?: AssertionAlgorithm;
  readonly serviceAccountKey?: string;
}

/** What the repository stores of the credential (a secret or key left out keeps the stored one). */
export interface CredentialColumns {
  readonly credentialType: CredentialType;
  readonly clientSecret?: string;
  readonly secretExpiresAt: number | null;
  readonly certificatePem: string | null;
  readonly certificateExpiresAt: number | null;
  readonly assertionAlgorithm: AssertionAlgorithm | null;
  readonly privateKey?: string | null;
  readonly serviceAccountEmail: string | null;
  readonly serviceAccountKeyId: string | null;
  readonly serviceAccountTokenUrl: string | null;
}

/** Which providers accept which credential. */
const CREDENTIAL_PROVIDERS: Readonly<Record<CredentialType, readonly ProviderKind[]>> = {
  client_secret: ['microsoft', 'google', 'generic'],
  // Google OAuth clients authenticate with a secret only; its server-to-server credential is the service account.
  certificate: ['microsoft', 'generic'],
  service_account: ['google', 'generic'],
};

/** Where Google's service accounts get tokens when a key file names no token_uri. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The credential type the input asks for: explicit, else what its material says, else the stored one. */
export function credentialTypeOf(fields: CredentialFields, before: AppRegistration | null): CredentialType {
  if (fields.credentialType) return fields.credentialType;
  if (fields.serviceAccountKey !== undefined) return 'service_account';
  if (fields.clientCertificate !== undefined) return 'certificate';
  return before?.credentialType ?? 'client_secret';
}

/**
 * Checks the credential fields.
 * @param before - the stored app on update, null on create
 * @param problem - collects a field's problem (the caller reports them all at once)
 * @returns the columns, or null when there were problems
 */
export function credentialColumns(
  provider: ProviderKind,
  fields: CredentialFields,
  before: AppRegistration | null,
  problem: (field: string, message: string) => void,
  allowInsecureLoopback: boolean,
): CredentialColumns | null {
  const type = credentialTypeOf(fields, before);
  const kept = before?.credentialType === type ? before : null;
  if (!CREDENTIAL_PROVIDERS[type].includes(provider)) {
    problem('credentialType', `${type.replace('_', ' ')} credentials are not offered for ${provider} apps`);
    return null;
  }
  const foreign = (field: keyof CredentialFields, owner: string) => {
    if (fields[field] !== undefined) problem(field, `applies to ${owner} credentials only`);
  };
  const none = {
    secretExpiresAt: null,
    certificatePem: null,
    certificateExpiresAt: null,
    assertionAlgorithm: null,
    serviceAccountEmail: null,
    serviceAccountKeyId: null,
    serviceAccountTokenUrl: null,
  };

  if (type === 'client_secret') {
    foreign('clientCertificate', 'certificate');
    foreign('clientKey', 'certificate');
    foreign('serviceAccountKey', 'service account');
    if (fields.clientSecret === undefined && !kept) problem('clientSecret', 'is required');
    return {
      ...none,
      credentialType: type,
      ...(fields.clientSecret !== undefined ? { clientSecret: fields.clientSecret } : {}),
      secretExpiresAt: fields.secretExpiresAt ?? null,
      ...(kept ? {} : { privateKey: null }),
    };
  }

  foreign('clientSecret', 'client secret');
  foreign('secretExpiresAt', 'client secret');
  if (type === 'certificate') {
    foreign('serviceAccountKey', 'service account');
    const certificatePem = fields.clientCertificate ?? kept?.certificatePem ?? null;
    if (!certificatePem) problem('clientCertificate', 'is required');
    if (fields.clientKey === undefined && !(kept && fields.clientCertificate === undefined))
      problem('clientKey', 'is required (with a new certificate, its own key)');
    if (!certificatePem) return null;
    let facts;
    try {
      facts = readClientCertificate(certificatePem);
      if (fields.clientKey !== undefined) assertKeyMatchesCertificate(facts.certificatePem, fields.clientKey);
    } catch (error) {
      const field = String((error as { details?: { fields?: string[] } }).details?.fields?.[0] ?? 'clientCertificate');
      problem(field, (error as Error).message.replace(/^Invalid app registration: [^:]+: /, ''));
      return null;
    }
    return {
      ...none,
      credentialType: type,
      clientSecret: '',
      certificatePem: facts.certificatePem,
      certificateExpiresAt: facts.notAfter,
      assertionAlgorithm:
        fields.assertionAlgorithm ?? kept?.assertionAlgorithm ?? (provider === 'microsoft' ? 'PS256' : 'RS256'),
      ...(fields.clientKey !== undefined ? { privateKey: fields.clientKey } : {}),
    };
  }

  foreign('clientCertificate', 'certificate');
  foreign('clientKey', 'certificate');
  foreign('assertionAlgorithm', 'certificate');
  if (fields.serviceAccountKey === undefined) {
    if (!kept) {
      problem('serviceAccountKey', 'is required (the JSON key file of the service account)');
      return null;
    }
    return {
      ...none,
      credentialType: type,
      serviceAccountEmail: kept.serviceAccountEmail,
      serviceAccountKeyId: kept.serviceAccountKeyId,
      serviceAccountTokenUrl: kept.serviceAccountTokenUrl,
    };
  }
  let key;
  try {
    key = parseServiceAccountKey(fields.serviceAccountKey);
  } catch (error) {
    problem(
      'serviceAccountKey',
      (error as Error).message.replace(/^Invalid app registration: serviceAccountKey: /, ''),
    );
    return null;
  }
  const tokenUrl = key.tokenUrl ?? (provider === 'google' ? GOOGLE_TOKEN_URL : null);
  if (tokenUrl) {
    try {
      assertProviderUrl(tokenUrl, 'serviceAccountKey', allowInsecureLoopback);
    } catch (error) {
      problem('serviceAccountKey', `token_uri ${(error as Error).message.replace('serviceAccountKey: ', '')}`);
      return null;
    }
  }
  return {
    ...none,
    credentialType: type,
    clientSecret: '',
    privateKey: key.privateKeyPem,
    serviceAccountEmail: key.email,
    serviceAccountKeyId: key.keyId,
    serviceAccountTokenUrl: tokenUrl,
  };
}
