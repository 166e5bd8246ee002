/**
 * Failed sign-ins are throttled per account and per client address: a few free failures, then a growing wait, then a
 * temporary lock that ends by itself; the right password is refused meanwhile. Unknown addresses are throttled
 * exactly like known ones, the state lives in the database (a restarted host still refuses), and the account's next
 * successful sign-in tells how many failures there were since when. Time is the host's injected clock, never waited.
 */
import pino from 'pino';
import { HostApp } from '../../../host/host-app';
import { openWebHost, WEB_ADMIN, WebClient, type WebHost } from './web-host';

jest.setTimeout(120_000);

const AGENT = { email: 'agent@example.test', password: 'agent password 1234' };
const START = Date.parse('2026-05-04T08:00:00Z');
const MINUTE = 60_000;

let clock = START;
let web: WebHost;

async function open(): Promise<WebHost> {
  const opened = await openWebHost({ host: { clock: () => clock } });
  await opened.host.users.create({ email: AGENT.email, role: 'agent', password: AGENT.password });
  return opened;
}

beforeEach(async () => {
  clock = START;
  web = await open();
});

afterEach(async () => {
  await web?.stop();
});

/** `count` sign-ins of `email` with a wrong password from `client`, the clock moved `stepMs` before each. */
async function failures(client: WebClient, email: string, count: number, stepMs = 0): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    clock += stepMs;
    statuses.push((await client.signIn(email, `wrong password ${i}`)).status);
  }
  return statuses;
}

const times = (count: number, status: number): number[] => Array.from({ length: count }, () => status);

describe('sign-in throttling', () => {
  it('answers a burst of 50 wrong passwords with 5 refusals of the password, then 429 with Retry-After', async () => {
    const attacker = web.client();
    const statuses = await failures(attacker, WEB_ADMIN.email, 50);
    expect(statuses).toEqual([...times(5, 401), ...times(45, 429)]);
    const right = await attacker.signIn(WEB_ADMIN.email, WEB_ADMIN.password);
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.setCookies).not.toContain('sid');
  });

  it('counts parallel guesses one by one: of 20 at once, 5 are tried', async () => {
    const clients = Array.from({ length: 20 }, () => web.client());
    const tokens = await Promise.all(clients.map((client) => client.loginToken()));
    const answers = await Promise.all(
      clients.map((client, i) =>
        client.request('/login', {
          form: { _csrf: tokens[i] as string, email: WEB_ADMIN.email, password: `guess ${i}`, next: '' },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...times(5, 401), ...times(15, 429)]);
  });

  it('waits longer after each further failure: 1 s, then 2 s, then 4 s', async () => {
    const client = web.client();
    expect(await failures(client, WEB_ADMIN.email, 5)).toEqual(times(5, 401));
    const waits: string[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await client.signIn(WEB_ADMIN.email, 'wrong again');
      expect(refused.status).toBe(429);
      waits.push(String(refused.headers['retry-after']));
      clock += Number(refused.headers['retry-after']) * 1000;
      expect((await client.signIn(WEB_ADMIN.email, 'wrong again')).status).toBe(401);
    }
    expect(waits).toEqual(['1', '2', '4']);
  });

  it('locks the account after 10 failures: the right password is refused until the lock ends by itself', async () => {
    const client = web.client();
    expect(await failures(client, WEB_ADMIN.email, 10, MINUTE)).toEqual(times(10, 401));
    const lockedAt = clock;
    clock = lockedAt + 14 * MINUTE;
    const refused = await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBe(60);
    expect(refused.body).toContain('Too many failed sign-ins');
    clock = lockedAt + 15 * MINUTE;
    const accepted = await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password);
    expect(accepted.status).toBe(303);
    expect(accepted.setCookies).toContain('sid');
  });

  it('tells the account on its next successful sign-in how many failures there were, since when, once', async () => {
    const attacker = web.client('127.0.0.7');
    await failures(attacker, WEB_ADMIN.email, 3, MINUTE);
    const admin = web.client();
    expect((await admin.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
    const first = await admin.request('/');
    expect(first.body).toContain('3 failed sign-in attempts since 2026-05-04 08:01 UTC');
    expect((await admin.request('/')).body).not.toContain('failed sign-in attempts');
    // Counted afresh after a success.
    const again = web.client();
    expect((await again.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
    expect((await again.request('/')).body).not.toContain('failed sign-in attempts');
  });

  it('throttles an unknown address exactly like a known one: the same statuses and the same words', async () => {
    const run = async (address: string, email: string): Promise<string[]> => {
      clock = START;
      const client = web.client(address);
      const answers: string[] = [];
      for (let i = 0; i < 12; i++) {
        clock += 500;
        const answer = await client.signIn(email, `wrong password ${i}`);
        const words = /<p class="error-text" role="alert">([^<]*)<\/p>/.exec(answer.body)?.[1];
        answers.push(`${answer.status} ${answer.headers['retry-after'] ?? '-'} ${words}`);
      }
      return answers;
    };
    const known = await run('127.0.0.11', WEB_ADMIN.email);
    const unknown = await run('127.0.0.12', 'nobody@example.test');
    expect(unknown).toEqual(known);
    expect(known.filter((answer) => answer.startsWith('429'))).toHaveLength(5);
  });

  it('keeps accounts apart: a locked account does not lock another one signing in from the same address', async () => {
    const client = web.client('127.0.0.21');
    await failures(client, WEB_ADMIN.email, 10, MINUTE);
    expect((await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(429);
    expect((await web.client('127.0.0.21').signIn(AGENT.email, AGENT.password)).status).toBe(303);
    // The account's lock holds from every address.
    expect((await web.client('127.0.0.22').signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(429);
  });

  it('keeps addresses apart: an address trying many accounts is locked, another address is not', async () => {
    const sprayer = web.client('127.0.0.31');
    const sprayed: number[] = [];
    for (let i = 0; i < 50; i++) {
      clock += MINUTE;
      sprayed.push((await sprayer.signIn(`user${i}@example.test`, 'Winter2026!')).status);
    }
    expect(sprayed).toEqual(times(50, 401));
    expect((await web.client('127.0.0.31').signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(429);
    expect((await web.client('127.0.0.32').signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
  });

  it('keeps the state in the database: a restarted host still refuses a locked account', async () => {
    await failures(web.client(), WEB_ADMIN.email, 10, MINUTE);
    const db = web.host.knex.client.config.connection as { filename: string };
    await web.host.stop();
    const reopened = await HostApp.open({
      db: db.filename,
      env: { OAUTH2_MAIL_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') },
      logger: pino({ level: 'silent' }),
      announce: () => undefined,
      clock: () => clock,
    });
    try {
      const url = await reopened.listen({ port: 0, host: '127.0.0.1' });
      const client = new WebClient(url, '127.0.0.41');
      expect((await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(429);
      clock += 15 * MINUTE;
      expect((await client.signIn(WEB_ADMIN.email, WEB_ADMIN.password)).status).toBe(303);
    } finally {
      await reopened.stop();
    }
  });
});
