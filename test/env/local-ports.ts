import * as net from 'node:net';

/** `count` distinct ports free on 127.0.0.1 right now. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves once an IMAP server on 127.0.0.1:`port` greets with `* OK`; retries until `timeoutMs`. */
export function waitForImapGreeting(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      const retry = (why: string) => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`Dovecot did not answer on 127.0.0.1:${port} (${why})`));
        else setTimeout(attempt, 50);
      };
      socket.setTimeout(2000, () => retry('timeout'));
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString('latin1');
        if (data.includes('\r\n')) {
          socket.destroy();
          if (data.startsWith('* OK')) resolve();
          else retry(`greeting ${JSON.stringify(data.trim())}`);
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => retry(err.code ?? err.message));
    };
    attempt();
  });
}
