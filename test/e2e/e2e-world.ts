/**
 * What the browser tests run against: the local OAuth2 server (Microsoft-like), a private Dovecot with a seeded
 * mailbox, and the reference host as a child process on a temp SQLite file (trusting the local CA), plus Chromium.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort, startHostProcess, type HostProcess } from '../../host/demo/host-process';
import { createKnex } from '../../host/create-knex';
import { ensureBuilt, REPO_ROOT } from '../integration/host/ensure-build';
import {
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
} from '../helpers/test-env';

/** The plugin's mount point on the reference host. */
export const PLUGIN = '/plugins/oauth2-mail';
export const ADMIN = { email: 'admin@e2e.test', password: 'e2e admin password 1' };
export const AGENT = { email: 'agent@e2e.test', password: 'e2e agent password 1' };
export const OTHER_ADMIN = { email: 'second-admin@e2e.test', password: 'e2e second admin password 1' };
/** Where README screenshots go when O2M_UPDATE_SCREENSHOTS=1 (otherwise into the run's temp folder). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');

/** Chromium as the task asks: Debian's binary, no sandbox, nothing phoning home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Everything a browser test needs. */
export interface E2eWorld {
  readonly dir: string;
  readonly oauth: OAuthServerHandle;
  readonly dovecot: DovecotHandle;
  readonly host: HostProcess;
  readonly db: Knex;
  readonly browser: Browser;
  readonly screenshotDir: string;
  stop(): Promise<void>;
}

/** A raw message with a unique Message-ID. */
export function mail(id: string, subject: string, from = 'Customer <customer@customers.example>'): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      'To: alice@example.test',
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${id}@e2e.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of ${subject}.`,
      '',
    ].join('\r\n'),
  );
}

/**
 * Starts everything.
 * @param accessTokenTtl - seconds; below the plugin's refresh skew (300 s) every poll refreshes the token
 */
export async function startWorld(accessTokenTtl: number): Promise<E2eWorld> {
  ensureBuilt();
  const dir = tempDir('o2m-e2e');
  // Dovecot reads the mail as an unprivileged user: the folder must be traversable.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const oauth = await startOAuthServer({
    profile: 'microsoft',
    dir,
    redirectUris: [`http://127.0.0.1:${port}${PLUGIN}/callback`],
    accessTokenTtl,
  });
  const stops: Array<() => Promise<unknown>> = [() => oauth.stop()];
  try {
    // One folder for both: Dovecot (an unprivileged user) reads the provider's CA from it.
    const dovecot = await startDovecot({ dir, oauth });
    stops.push(() => dovecot.stop());
    const dbFile = join(dir, 'helpdesk.sqlite');
    // The agent (a non-admin) is added before the start, through the console.
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'agent-password'), `${AGENT.password}\n`);
    const added = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'oauth2-mail.js'),
        '--db',
        dbFile,
        'user',
        'add',
        '--email',
        AGENT.email,
        '--role',
        'agent',
        '--password-file',
        join(dir, 'agent-password'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email, OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password },
      },
    );
    if (added.status !== 0) throw new Error(`user add failed: ${added.stderr}`);
    writeFileSync(join(dir, 'other-admin-password'), `${OTHER_ADMIN.password}\n`);
    const addedAdmin = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'oauth2-mail.js'),
        '--db',
        dbFile,
        'user',
        'add',
        '--email',
        OTHER_ADMIN.email,
        '--role',
        'admin',
        '--password-file',
        join(dir, 'other-admin-password'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, OAUTH2_MAIL_ADMIN_EMAIL: ADMIN.email, OAUTH2_MAIL_ADMIN_PASSWORD: ADMIN.password },
      },
    );
    if (addedAdmin.status !== 0) throw new Error(`user add (second admin) failed: ${addedAdmin.stderr}`);
    const host = await startHostProcess({
      packageRoot: REPO_ROOT,
      db: dbFile,
      port,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      caCertFile: oauth.caCertFile,
      logFile: join(dir, 'helpdesk.log'),
    });
    stops.push(() => host.stop());
    const db = createKnex(dbFile);
    stops.push(() => db.destroy());
    const browser = await launchChromium();
    stops.push(() => browser.close());
    const screenshotDir = process.env.O2M_UPDATE_SCREENSHOTS === '1' ? SCREENSHOT_DIR : join(dir, 'screenshots');
    mkdirSync(screenshotDir, { recursive: true });
    return {
      dir,
      oauth,
      dovecot,
      host,
      db,
      browser,
      screenshotDir,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/** A fresh browser context (own cookies) that accepts the local provider's certificate. */
export function newContext(world: E2eWorld): Promise<BrowserContext> {
  return world.browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
}

/** Signs in on the host's login page. */
export async function signIn(
  page: Page,
  world: E2eWorld,
  who: { email: string; password: string },
  next = '/',
): Promise<void> {
  await page.goto(`${world.host.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type=submit]')]);
}
