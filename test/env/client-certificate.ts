// A client certificate for private_key_jwt (certificate credentials): a self-signed RSA certificate and its key,
// made with the openssl CLI like the test CA, and the public key as the JWK the local OAuth server registers.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A certificate and its private key (PEM), and the public JWK of the key. */
export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
  certificateFile: string;
  keyFile: string;
  publicJwk: crypto.JsonWebKey;
}

/**
 * Makes a self-signed certificate for an app registration's certificate credential.
 * @param dir - where the files go
 * @param options - `days` of validity (default 365), a name for the subject and the files
 */
export function createClientCertificate(
  dir: string,
  options: { days?: number; name?: string } = {},
): ClientCertificate {
  const name = options.name ?? `client-${crypto.randomBytes(3).toString('hex')}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certificateFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  const days = String(options.days ?? 365);
  const subject = ['-subj', `/CN=${name}`, '-days', days];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certificateFile, ...subject],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    },
  );
  return readCertificate(certificateFile, keyFile);
}

function readCertificate(certificateFile: string, keyFile: string): ClientCertificate {
  const certificatePem = fs.readFileSync(certificateFile, 'utf8');
  const privateKeyPem = fs.readFileSync(keyFile, 'utf8');
  const publicJwk = new crypto.X509Certificate(certificatePem).publicKey.export({ format: 'jwk' });
  return { certificatePem, privateKeyPem, certificateFile, keyFile, publicJwk };
}

/** oidc-provider client metadata for a client that authenticates with a client assertion signed by `certificate`'s key. */
export function privateKeyJwtMetadata(...certificates: ClientCertificate[]): Record<string, unknown> {
  return {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: certificates.map((certificate) => ({ ...certificate.publicJwk, use: 'sig' })) },
  };
}
