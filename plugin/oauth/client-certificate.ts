/**
 * Certificate credentials (docs/providers.md#certificate-credentials): the certificate and private key an admin
 * pastes (PEM), checked once when the app is saved: an RSA key (RS256 / PS256) without a passphrase that belongs to
 * the certificate. The expiry comes from the certificate itself (notAfter), never from what someone typed.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { PluginError } from '../errors';

/** What the plugin reads from a certificate. */
export interface ClientCertificateFacts {
  /** The first certificate of the PEM, normalized. */
  readonly certificatePem: string;
  /** Epoch ms. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** base64url of the SHA-256 of the DER certificate: the assertion header's `x5t#S256`. */
  readonly sha256Thumbprint: string;
  /** base64url of the SHA-1 of the DER certificate: `x5t`, which Entra still reads. */
  readonly sha1Thumbprint: string;
  readonly subject: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function invalid(field: string, message: string): PluginError {
  return new PluginError('ERR_INPUT_INVALID', `Invalid app registration: ${field}: ${message}`, {
    fields: [field],
    problems: [`${field}: ${message}`],
  });
}

/**
 * Parses the certificate (the first one of a chain).
 * @param pem - PEM text as pasted
 * @param field - the form field, for the message
 * @throws PluginError ERR_INPUT_INVALID naming the field
 */
export function readClientCertificate(pem: string, field = 'clientCertificate'): ClientCertificateFacts {
  const block = PEM_CERTIFICATE.exec(pem)?.[0];
  if (!block) throw invalid(field, 'must be a PEM certificate (-----BEGIN CERTIFICATE----- …)');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(block);
  } catch {
    throw invalid(field, 'is not a readable X.509 certificate');
  }
  if (certificate.publicKey.asymmetricKeyType !== 'rsa')
    throw invalid(field, 'must hold an RSA key (the assertion is signed with RS256 or PS256)');
  return {
    certificatePem: `${block}\n`,
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
    sha256Thumbprint: createHash('sha256').update(certificate.raw).digest('base64url'),
    sha1Thumbprint: createHash('sha1').update(certificate.raw).digest('base64url'),
    subject: certificate.subject.replace(/\n/g, ', '),
  };
}

/**
 * Reads a private key (PKCS#8 or PKCS#1 PEM) that must be an RSA key without a passphrase.
 * @param field - the form field, for the message
 * @throws PluginError ERR_INPUT_INVALID naming the field (never echoing the key)
 */
export function readRsaPrivateKey(pem: string, field = 'clientKey'): KeyObject {
  if (/ENCRYPTED/.test(pem)) throw invalid(field, 'must not be protected by a passphrase (export it without one)');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw invalid(field, 'must be a PEM private key (-----BEGIN PRIVATE KEY----- or BEGIN RSA PRIVATE KEY)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalid(field, 'must be an RSA key');
  return key;
}

/**
 * Checks that `privateKeyPem` belongs to the certificate.
 * @throws PluginError ERR_INPUT_INVALID (clientKey) when it does not, or cannot be read
 */
export function assertKeyMatchesCertificate(certificatePem: string, privateKeyPem: string): void {
  const key = readRsaPrivateKey(privateKeyPem);
  if (!new X509Certificate(readClientCertificate(certificatePem).certificatePem).checkPrivateKey(key))
    throw invalid('clientKey', 'does not belong to the certificate');
}
