/**
 * The reference host in-process, listening on 127.0.0.1 (port 0), and a cookie-jar client per client address
 * (node:http with `localAddress`, anywhere in 127.0.0.0/8), for the sign-in, throttling, error-status and banner
 * tests. (fastify's `inject` cannot run under jest: light-my-request loads the ESM-only `cookie` package.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import pino from 'pino';
import { HostApp, type HostAppOptions } from '../../../host/host-app';
import { ensureBuilt, REPO_ROOT } from './ensure-build';

/** The first admin of every web host. */
export const WEB_ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };

/** One answer, as the client saw it. */
export interface WebResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Names of the cookies the answer set (a deletion included). */
  readonly setCookies: readonly string[];
}

/** A browser stand-in: its own cookies, its own client address. */
export class WebClient {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly localAddress: string,
  ) {}

  async request(
    path: string,
    init: { readonly method?: 'GET' | 'POST'; readonly form?: Record<string, string>; readonly accept?: string } = {},
  ): Promise<WebResponse> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.accept) headers.accept = init.accept;
    const payload = init.form ? new URLSearchParams(init.form).toString() : undefined;
    if (payload !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const sent = httpRequest(
          `${this.url}${path}`,
          { method: init.method ?? (payload !== undefined ? 'POST' : 'GET'), headers, localAddress: this.localAddress },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () =>
              resolve({
                status: answer.statusCode ?? 0,
                headers: answer.headers,
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
            answer.on('error', reject);
          },
        );
        sent.on('error', reject);
        // A request the server never answers fails the test instead of holding the server's close() forever.
        sent.setTimeout(30_000, () => sent.destroy(new Error(`no answer to ${path} within 30 s`)));
        sent.end(payload);
      },
    );
    const setCookies: string[] = [];
    for (const line of response.headers['set-cookie'] ?? []) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      setCookies.push(name);
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { ...response, setCookies };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Opens the sign-in form and returns its CSRF token. */
  async loginToken(): Promise<string> {
    const page = await this.request('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!token) throw new Error(`no CSRF token in the sign-in form (HTTP ${page.status}):\n${page.body}`);
    return token;
  }

  /** Submits the sign-in form. */
  async signIn(email: string, password: string, next = ''): Promise<WebResponse> {
    const token = await this.loginToken();
    return this.request('/login', { form: { _csrf: token, email, password, next } });
  }
}

/** A host and where its web server listens. */
export interface WebHost {
  readonly dir: string;
  readonly host: HostApp;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** A new client connecting from `address` (default 127.0.0.1; any of 127.0.0.0/8). */
  client(address?: string): WebClient;
  stop(): Promise<void>;
}

/** Options of {@link openWebHost}. */
export interface WebHostOptions {
  /** Install and activate the repository's plugin (builds dist/ when stale). */
  readonly plugin?: boolean;
  readonly logger?: Logger;
  /** More HostApp options (clock, database …). */
  readonly host?: Partial<HostAppOptions>;
}

/**
 * Opens a host on a fresh SQLite file with {@link WEB_ADMIN}, a scheduler that does not run, and its web server.
 * @param options - plugin, logger, host options
 */
export async function openWebHost(options: WebHostOptions = {}): Promise<WebHost> {
  if (options.plugin) ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'o2m-web-host-'));
  const host = await HostApp.open({
    db: join(dir, 'data', 'helpdesk.sqlite'),
    env: {
      OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64'),
      OAUTH2_MAIL_ADMIN_EMAIL: WEB_ADMIN.email,
      OAUTH2_MAIL_ADMIN_PASSWORD: WEB_ADMIN.password,
    },
    logger: options.logger ?? pino({ level: 'silent' }),
    announce: () => undefined,
    scheduler: { firstRunDelayMs: 3_600_000 },
    ...options.host,
  });
  try {
    await host.ensureFirstAdmin();
    if (options.plugin) await host.plugins.install(REPO_ROOT);
    const url = await host.listen({ port: 0, host: '127.0.0.1' });
    return {
      dir,
      host,
      url,
      client: (address = '127.0.0.1') => new WebClient(url, address),
      async stop() {
        await host.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
