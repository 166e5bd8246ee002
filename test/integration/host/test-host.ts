/** The in-process host and throw-away plugin folders that the plugin-manager tests share. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { HostApp } from '../../../host/host-app';
import { isPluginError } from '../../../plugin/errors';

/** Opens a host on `dir`/helpdesk.sqlite with a fresh key, silent logs and a scheduler that does not run during the test. */
export function openTestHost(dir: string): Promise<HostApp> {
  return HostApp.open({
    db: join(dir, 'helpdesk.sqlite'),
    env: { OAUTH2_MAIL_SECRET_KEY: randomBytes(32).toString('base64') },
    logger: pino({ level: 'silent' }),
    announce: () => undefined,
    // The fetch task must not run during the tests: only its registration and activation are checked.
    scheduler: { firstRunDelayMs: 3_600_000 },
  });
}

/** A throw-away plugin folder under `dir`: plugin.json (an object, or raw text for broken JSON) + index.js. */
export function writePlugin(dir: string, name: string, pluginJson: unknown, indexJs: string): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'plugin.json'),
    typeof pluginJson === 'string' ? pluginJson : JSON.stringify(pluginJson, null, 2),
  );
  writeFileSync(join(folder, 'index.js'), indexJs);
  return folder;
}

/** The PluginError an install must end with (any other outcome fails the test). */
export async function installError(
  host: HostApp,
  folder: string,
  options?: Parameters<HostApp['plugins']['install']>[1],
): Promise<{ code: string; message: string; problems: string[] }> {
  try {
    await host.plugins.install(folder, options);
  } catch (error) {
    if (!isPluginError(error)) throw error;
    return { code: error.code, message: error.message, problems: error.details.problems as string[] };
  }
  throw new Error(`install of ${folder} was expected to fail`);
}

/** The host still answers, and the real plugin with it (its callback refuses a request without state). */
export async function expectServing(url: string): Promise<void> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  expect((await fetch(`${url}/plugins/oauth2-mail/callback`)).status).toBe(400);
}
