/**
 * What the web server answers when the request is at fault or the database is busy: a request fault is a 4xx naming
 * the field, never a 500, and opens no session the browser never hears of; a database held by another connection
 * (SQLite `BEGIN EXCLUSIVE`) is a 503 with Retry-After.
 */
import type { Knex } from 'knex';
import { createKnex } from '../../../host/create-knex';
import { openWebHost, WEB_ADMIN, type WebClient, type WebHost } from './web-host';

jest.setTimeout(120_000);

let web: WebHost;

beforeAll(async () => {
  web = await openWebHost();
});

afterAll(async () => {
  await web?.stop();
});

async function sessionCount(): Promise<number> {
  const row = (await web.host.knex('host_sessions').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Signs in with `next`; returns the answer and how many sessions were opened that the browser was not told of. */
async function signInWithNext(next: string): Promise<{ status: number; location?: string; orphans: number }> {
  const client = web.client();
  const before = await sessionCount();
  const answer = await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password, next);
  const opened = (await sessionCount()) - before;
  const told = answer.setCookies.includes('sid') && client.cookie('sid') !== undefined ? 1 : 0;
  return { status: answer.status, location: answer.headers.location, orphans: opened - told };
}

describe('a next the helpdesk cannot follow', () => {
  it.each([
    ['LF', '/\n/x'],
    ['NUL', '/tickets\u0000'],
    ['CR LF header injection', '/\r\nSet-Cookie: x=1'],
  ])('with %s is a 400 naming next, and opens no session', async (_name, next) => {
    const result = await signInWithNext(next);
    expect(result).toEqual({ status: 400, location: undefined, orphans: 0 });
  });

  it('with "。" goes to that path, percent-encoded, and the browser gets its session', async () => {
    const result = await signInWithNext('/\u3002');
    expect(result).toEqual({ status: 303, location: '/%E3%80%82', orphans: 0 });
  });

  it('names the field when signed in already', async () => {
    const client = web.client();
    await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password);
    const answer = await client.request(`/login?next=${encodeURIComponent('/\u0000')}`, { accept: 'application/json' });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_INPUT_INVALID' } });
    expect(answer.body).toContain('next');
  });
});

describe('hostile input to the host routes', () => {
  let admin: WebClient;

  beforeAll(async () => {
    admin = web.client();
    expect((await admin.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
  });

  it.each([
    '/tickets?page=1e300',
    '/tickets?page=-5',
    '/tickets?page=99999999999999999999',
    '/tickets?page=0x10',
    '/tickets?page=1&page=2',
    '/login?next=%2F&next=%2Fx',
    '/login?next=%E0%A4%A',
    '/plugins/oauth2-mail/%E0%A4%A',
    '/plugins/%00/x',
    '/%2e%2e/%2e%2e/etc/passwd',
  ])('GET %s is not a server error', async (path) => {
    const answer = await admin.request(path);
    expect(answer.status).toBeLessThan(500);
  });

  it.each([
    ['a long email', { email: `${'a'.repeat(5000)}@example.test`, password: 'x' }, 'email'],
    ['a long password', { email: WEB_ADMIN.email, password: 'p'.repeat(100_000) }, 'password'],
  ])('a sign-in with %s is a 400 naming the field', async (_name, fields, name) => {
    const client = web.client('127.0.0.99');
    const token = await client.loginToken();
    const answer = await client.request('/login', { form: { _csrf: token, next: '', ...fields } });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(name);
  });
});

describe('a database held by another connection', () => {
  let holder: Knex;

  afterEach(async () => {
    await holder?.raw('ROLLBACK').catch(() => undefined);
    await holder?.destroy();
  });

  it('answers a sign-in with 503 and Retry-After, not 500', async () => {
    const client = web.client('127.0.0.50');
    const token = await client.loginToken();
    holder = createKnex((web.host.knex.client.config.connection as { filename: string }).filename);
    await holder.raw('BEGIN EXCLUSIVE');
    const answer = await client.request('/login', {
      form: { _csrf: token, email: WEB_ADMIN.email, password: WEB_ADMIN.password, next: '' },
    });
    expect(answer.status).toBe(503);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    expect(answer.body).toContain('ERR_DATABASE_UNAVAILABLE');
    expect(answer.setCookies).not.toContain('sid');
  });
});
