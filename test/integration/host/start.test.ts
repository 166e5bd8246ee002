/**
 * `oauth2-mail start` as a child process on a temp SQLite file: sign-in with CSRF, the admin shell
 * with the plugin's menu entry, the ticket list, CSRF refusals, the agent role, the generated first
 * admin shown once and never logged, and a clean stop on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, REPO_ROOT } from './ensure-build';

jest.setTimeout(120_000);

const BIN = join(REPO_ROOT, 'bin', 'oauth2-mail.js');
const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple' };
const AGENT = { email: 'agent@example.test', password: 'agent password 123' };

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OAUTH2_MAIL_LOG_LEVEL: 'info',
    ...extra,
  };
  return env;
}

function startServer(db: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [BIN, '--db', db, 'start', '--port', '0'], {
    cwd: REPO_ROOT,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL printed within 60 s\nstdout: ${out}\nstderr: ${err}`)),
      60_000,
    );
    child.stdout?.on('data', () => {
      const match = /Helpdesk listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stdout: () => out, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

function stopServer(server: Server): Promise<number | null> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    server.child.removeAllListeners('exit');
    server.child.once('exit', (code) => resolve(code));
    server.child.kill('SIGTERM');
  });
}

/** A tiny cookie jar over fetch. */
class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string>; accept?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.accept) headers.accept = init.accept;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${this.base}${path}`, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => /max-age=0/i.test(a.trim())) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Opens the login form and returns its CSRF token. */
  async loginToken(): Promise<string> {
    const html = await (await this.request('/login')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token in the login form:\n${html}`);
    return token;
  }

  async signIn(email: string, password: string): Promise<Response> {
    const token = await this.loginToken();
    return this.request('/login', { form: { _csrf: token, email, password, next: '' } });
  }
}

function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'oauth2-mail-start-'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('oauth2-mail start', () => {
  let server: Server;
  const db = () => join(dir, 'data', 'helpdesk.sqlite');

  beforeAll(async () => {
    server = await startServer(db(), {
      OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email,
      OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password,
    });
  }, 90_000);

  afterAll(async () => {
    if (server) await stopServer(server);
  });

  it('creates the SQLite file, its -wal and -shm and a key file next to them, 0600 in a 0700 folder', () => {
    expect(existsSync(db())).toBe(true);
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    expect(mode(join(dir, 'data'))).toBe('700');
    expect([db(), `${db()}-wal`, `${db()}-shm`, join(dir, 'data', 'secret.key')].map(mode)).toEqual([
      '600',
      '600',
      '600',
      '600',
    ]);
  });

  it('redirects a signed-out visitor to /login', async () => {
    const response = await new Browser(server.url).request('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2F');
  });

  it('refuses a sign-in without the form CSRF token', async () => {
    const browser = new Browser(server.url);
    await browser.loginToken();
    const response = await browser.request('/login', { form: { email: ADMIN.email, password: ADMIN.password } });
    expect(response.status).toBe(403);
    expect(browser.cookie('sid')).toBeUndefined();
  });

  it('refuses a wrong password', async () => {
    const response = await new Browser(server.url).signIn(ADMIN.email, 'wrong password!!');
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('Wrong email or password.');
  });

  it('signs the admin in and shows the shell with the plugin menu entry and the ticket list', async () => {
    const browser = new Browser(server.url);
    const signIn = await browser.signIn(ADMIN.email, ADMIN.password);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const setCookie = signIn.headers.getSetCookie().find((c) => c.startsWith('sid='));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);

    const shell = await browser.request('/');
    expect(shell.status).toBe(200);
    const html = await shell.text();
    expect(html).toContain('<a href="/plugins/oauth2-mail/accounts">Mail accounts (OAuth2)</a>');
    expect(html).toMatch(/<td>oauth2-mail<\/td><td>0\.1\.0<\/td><td>active<\/td>/);

    const screen = await browser.request('/plugins/oauth2-mail/accounts');
    expect(screen.status).toBe(200);
    expect(await screen.text()).toContain('No mail account yet.');

    const tickets = await browser.request('/tickets');
    expect(tickets.status).toBe(200);
    expect(await tickets.text()).toContain('No tickets yet.');
  });

  it('refuses a POST without the session CSRF token, and signs out with it', async () => {
    const browser = new Browser(server.url);
    await browser.signIn(ADMIN.email, ADMIN.password);
    const page = await (await browser.request('/')).text();

    const forged = await browser.request('/logout', { form: {} });
    expect(forged.status).toBe(403);
    expect((await browser.request('/')).status).toBe(200);

    const wrong = await browser.request('/logout', { form: { _csrf: 'not-the-token' } });
    expect(wrong.status).toBe(403);

    const logout = await browser.request('/logout', { form: { _csrf: csrfOf(page) } });
    expect(logout.status).toBe(303);
    expect((await browser.request('/')).status).toBe(303);
  });

  it('gives an agent the ticket list but 403 on admin pages and plugin admin routes', async () => {
    const added = spawnSync(
      process.execPath,
      [BIN, '--db', db(), '--json', 'user', 'add', '--email', AGENT.email, '--role', 'agent'],
      {
        cwd: REPO_ROOT,
        env: baseEnv({}),
        input: `${AGENT.password}\n`,
        encoding: 'utf8',
      },
    );
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ email: AGENT.email, role: 'agent' });
    expect(added.stdout + added.stderr).not.toContain(AGENT.password);

    const browser = new Browser(server.url);
    const signIn = await browser.signIn(AGENT.email, AGENT.password);
    expect(signIn.headers.get('location')).toBe('/tickets');
    expect((await browser.request('/tickets')).status).toBe(200);
    expect((await browser.request('/')).status).toBe(403);
    expect((await browser.request('/plugins/oauth2-mail/accounts')).status).toBe(403);
    const json = await browser.request('/plugins/oauth2-mail/accounts', { accept: 'application/json' });
    expect(json.status).toBe(403);
    expect(await json.json()).toEqual({
      error: { code: 'ERR_FORBIDDEN', message: 'This page is for administrators.' },
    });
    const shellMenu = await (await browser.request('/tickets')).text();
    expect(shellMenu).not.toContain('/plugins/oauth2-mail/accounts');
  });

  it('answers console errors in one line, and as JSON with --json', () => {
    const bad = spawnSync(process.execPath, [BIN, '--db', db(), 'plugin', 'install', join(REPO_ROOT, 'fixtures')], {
      cwd: REPO_ROOT,
      env: baseEnv({}),
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /^error \[ERR_MANIFEST_INVALID\]: The plugin in .* cannot be installed:\n - plugin\.json cannot be read/m,
    );
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const json = spawnSync(
      process.execPath,
      [BIN, '--db', db(), '--json', 'user', 'add', '--email', 'x@example.test', '--role', 'admin'],
      { cwd: REPO_ROOT, env: baseEnv({}), input: 'short\n', encoding: 'utf8' },
    );
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('password must have at least') },
    });
  });

  it('lists the installed plugin from the console', () => {
    const listed = spawnSync(process.execPath, [BIN, '--db', db(), '--json', 'plugin', 'list'], {
      cwd: REPO_ROOT,
      env: baseEnv({}),
      encoding: 'utf8',
    });
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: 'oauth2-mail', directory: REPO_ROOT, enabled: true, lastError: null }),
    ]);
  });

  it('never logs the admin password', () => {
    expect(server.stdout() + server.stderr()).not.toContain(ADMIN.password);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await stopServer(server)).toBe(0);
    expect(server.stderr()).toContain('"msg":"host stopped"');
  });
});

describe('first start without admin credentials', () => {
  it('creates admin@localhost with a generated password shown once as a block on stderr, not logged', async () => {
    const db = join(dir, 'fresh', 'helpdesk.sqlite');
    const first = await startServer(db, {});
    let password: string | undefined;
    try {
      const block = new RegExp(
        '\\n={72}\\nFirst administrator created[^\\n]*\\n {2}Email: +admin@localhost\\n' +
          ' {2}Password: +(\\S+)\\n {2}Sign in: +(\\S+)\\n[\\s\\S]*?\\n={72}\\n',
      ).exec(first.stderr());
      expect(block).not.toBeNull();
      password = block![1]!;
      expect(block![2]).toBe(`${first.url}/login`);
      const logLines = first
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.join('\n')).not.toContain(password);
      expect(first.stdout()).not.toContain(password);
      const browser = new Browser(first.url);
      expect((await browser.signIn('admin@localhost', password)).headers.get('location')).toBe('/');
    } finally {
      expect(await stopServer(first)).toBe(0);
    }
    const cli = (args: string[], input = '') =>
      spawnSync(process.execPath, [BIN, '--db', db, '--json', 'user', ...args], {
        cwd: REPO_ROOT,
        env: baseEnv({}),
        input,
        encoding: 'utf8',
      });
    const listed = cli(['list']);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ users: [{ email: 'admin@localhost', role: 'admin' }] });
    const changed = cli(['password', 'admin@localhost'], 'a new password for the admin\n');
    expect(changed.status).toBe(0);
    expect(changed.stdout + changed.stderr).not.toContain('a new password for the admin');
    const unknown = cli(['password', 'nobody@example.test'], 'another long password\n');
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
    const second = await startServer(db, {});
    try {
      expect(second.stderr()).not.toContain('First administrator created');
      const browser = new Browser(second.url);
      expect((await browser.signIn('admin@localhost', password)).headers.get('location')).not.toBe('/');
      expect((await browser.signIn('admin@localhost', 'a new password for the admin')).headers.get('location')).toBe(
        '/',
      );
    } finally {
      await stopServer(second);
    }
  });
});
