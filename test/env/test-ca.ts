import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A CA generated for this run and a server certificate it signed (valid for 127.0.0.1 and localhost). */
export interface TestCa {
  caCertFile: string;
  caCertPem: string;
  caKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install -y openssl');
    throw new Error(`openssl ${args[0]} failed: ${String(err.stderr ?? err.message).trim()}`);
  }
}

/** Creates (or reuses, if already in `dir`) the test CA and server certificate with the openssl CLI. */
export function createTestCa(dir: string): TestCa {
  const caDir = path.resolve(dir);
  fs.mkdirSync(caDir, { recursive: true, mode: 0o755 });
  const files = {
    caCertFile: path.join(caDir, 'ca.crt'),
    caKeyFile: path.join(caDir, 'ca.key'),
    serverCertFile: path.join(caDir, 'server.crt'),
    serverKeyFile: path.join(caDir, 'server.key'),
  };
  if (!Object.values(files).every((f) => fs.existsSync(f))) {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const cn = `oauth2-mail test CA ${crypto.randomBytes(4).toString('hex')}`;
    const caName = ['-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE'];
    const caUsage = ['-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
    openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', ...caName, ...caUsage], caDir);
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], caDir);
    fs.writeFileSync(
      path.join(caDir, 'server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '',
      ].join('\n'),
    );
    const signing = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7', '-extfile', 'server.ext'];
    openssl(['x509', '-req', '-in', 'server.csr', ...signing, '-out', 'server.crt'], caDir);
    // Dovecot's master reads the key as root; the OAuth server reads it as us.
    fs.chmodSync(files.serverKeyFile, 0o600);
    fs.chmodSync(files.caKeyFile, 0o600);
  }
  return { ...files, caCertPem: fs.readFileSync(files.caCertFile, 'utf8') };
}
