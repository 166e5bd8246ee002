// Google-style service accounts for the local OAuth server's JWT bearer grant: an RSA key pair made here, the
// server learns the public half, the test gets the key file an admin downloads from the Google Cloud console.
import * as crypto from 'node:crypto';

/** The JSON key file of a service account, in Google's field names. */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

/** A service account of the local server, with its key file. */
export interface TestServiceAccount {
  email: string;
  /** The numeric client id the Workspace admin's delegation entry names. */
  clientId: string;
  keyId: string;
  privateKeyPem: string;
  keyFile: ServiceAccountKeyFile;
}

/** A generated key, before the server's token endpoint is known. */
export interface GeneratedServiceAccountKey {
  email: string;
  clientId: string;
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
  /** The service account as the tests see it, its key file naming `tokenUri`. */
  withTokenUri(tokenUri: string): TestServiceAccount;
}

/** A new service account key (RSA 2048, PKCS#8 PEM like Google's key files). */
export function createServiceAccountKey(options: { email?: string; index: number }): GeneratedServiceAccountKey {
  const project = `o2m-test-${crypto.randomBytes(3).toString('hex')}`;
  const email = options.email ?? `mail-${options.index}@${project}.iam.gserviceaccount.com`;
  const clientId =
    String(crypto.randomInt(100000000, 999999999)) + String(crypto.randomInt(100000000000, 999999999999));
  const keyId = crypto.randomBytes(20).toString('hex');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return {
    email,
    clientId,
    keyId,
    publicKeyPem,
    privateKeyPem,
    withTokenUri(tokenUri) {
      return {
        email,
        clientId,
        keyId,
        privateKeyPem,
        keyFile: {
          type: 'service_account',
          project_id: project,
          private_key_id: keyId,
          private_key: privateKeyPem,
          client_email: email,
          client_id: clientId,
          auth_uri: tokenUri.replace(/\/token$/, '/auth'),
          token_uri: tokenUri,
        },
      };
    },
  };
}
