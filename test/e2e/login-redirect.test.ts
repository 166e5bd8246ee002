// `next` after sign-in in Chromium against the reference host: whatever the link holds (TAB, CR, LF, backslashes,
// their encoded forms, dot segments, other schemes), the browser ends on the helpdesk's own origin, after signing in
// and when already signed in. A server on 127.0.0.2 stands in for the attacker's site and counts every visit.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, startHostProcess, type HostProcess } from '../../host/demo/host-process';
import { tempDir } from '../helpers/test-env';
import { ensureBuilt, REPO_ROOT } from '../integration/host/ensure-build';
import { ADMIN, launchChromium } from './e2e-world';

jest.setTimeout(120_000);

let host: HostProcess;
let browser: Browser;
let evil: Server;
let evilVisits = 0;
let evilAuthority = '';

beforeAll(async () => {
  ensureBuilt();
  const dir = tempDir('o2m-e2e-next');
  evil = createServer((_request, response) => {
    evilVisits += 1;
    response.end('attacker site');
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
  evilAuthority = `127.0.0.2:${(evil.address() as AddressInfo).port}`;
  host = await startHostProcess({
    packageRoot: REPO_ROOT,
    db: join(dir, 'helpdesk', 'helpdesk.sqlite'),
    port: await freePort(),
    adminEmail: ADMIN.email,
    adminPassword: ADMIN.password,
    logFile: join(dir, 'helpdesk.log'),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await new Promise((resolve) => evil?.close(resolve));
});

/** Query values of `next` for the attacker's authority `a`, as they appear in the link (percent-encoded unless said). */
const VECTORS: Array<[string, (a: string) => string]> = [
  ['TAB between the slashes', (a) => `%2F%09%2F${encodeURIComponent(a)}%2F`],
  ['CR between the slashes', (a) => `%2F%0D%2F${encodeURIComponent(a)}%2F`],
  ['LF between the slashes', (a) => `%2F%0A%2F${encodeURIComponent(a)}%2F`],
  ['TAB and a backslash', (a) => `%2F%09%5C${encodeURIComponent(a)}%2F`],
  ['a backslash', (a) => `%2F%5C${encodeURIComponent(a)}%2F`],
  ['/\\/', (a) => `%2F%5C%2F${encodeURIComponent(a)}%2F`],
  ['//', (a) => `%2F%2F${encodeURIComponent(a)}%2F`],
  ['a dot segment leaving //', (a) => `%2F.%2F%2F${encodeURIComponent(a)}%2F`],
  ['/%2F/ (an encoded slash)', (a) => `%2F%252F${encodeURIComponent(a)}%2F`],
  ['/%09/ (an encoded TAB)', (a) => `%2F%2509%2F${encodeURIComponent(a)}%2F`],
  ['https:', (a) => `https%3A%2F%2F${encodeURIComponent(a)}%2F`],
  ['javascript:', () => 'javascript%3Aalert(document.domain)'],
  ['a raw TAB in the link', (a) => `/\t/${a}/`],
  ['a raw backslash in the link', (a) => `/\\${a}/`],
];

async function signInThrough(page: Page, next: string): Promise<void> {
  await page.goto(`${host.url}/login?next=${next}`);
  await page.fill('input[name=email]', ADMIN.email);
  await page.fill('input[name=password]', ADMIN.password);
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type=submit]')]);
}

describe.each([false, true])('next after sign-in (already signed in: %s)', (signedInFirst) => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext();
    if (signedInFirst) await signInThrough(await context.newPage(), '%2F');
  });

  beforeEach(async () => {
    page = await context.newPage();
  });

  afterEach(async () => {
    await page?.close();
  });

  afterAll(async () => {
    await context?.close();
  });

  it.each(VECTORS)('ends on the helpdesk for %s', async (_name, vector) => {
    const next = vector(evilAuthority);
    const before = evilVisits;
    if (signedInFirst) await page.goto(`${host.url}/login?next=${next}`).catch(() => undefined);
    else await signInThrough(page, next).catch(() => undefined);
    expect(new URL(page.url()).origin).toBe(host.url);
    expect(evilVisits).toBe(before);
    if (!signedInFirst) await context.clearCookies();
  });

  it('still goes to a path on the helpdesk', async () => {
    if (signedInFirst) await page.goto(`${host.url}/login?next=${encodeURIComponent('/tickets?page=1')}`);
    else await signInThrough(page, encodeURIComponent('/tickets?page=1'));
    expect(page.url()).toBe(`${host.url}/tickets?page=1`);
  });
});
