/**
 * The bench's world: the local OAuth server (microsoft profile) and a private Dovecot from test/env, a fresh
 * SQLite file with the host's migrations (the plugin runs its own when it is built), one app registration, and
 * accounts connected through the real Connect flow (authorization URL -> the server's login page -> callback).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createKnex } from '../../host/create-knex';
import { migrateHost } from '../../host/host-migrations';
import type { MailAccount } from '../../plugin/ports/account-repository';
import {
  completeAuthorization,
  DEFAULT_USERS,
  localMicrosoftApp,
  startDovecot,
  startOAuthServer,
  tempDir,
  type DovecotHandle,
  type OAuthServerHandle,
  type TestUser,
} from '../helpers/test-env';
import { TEST_REDIRECT_URI } from '../helpers/test-plugin-host';
import { assembleBenchPlugin, type BenchPlugin, type BenchPluginSettings } from './bench-plugin';

/** A running bench world. */
export interface BenchEnvironment {
  readonly dir: string;
  readonly oauthServer: OAuthServerHandle;
  readonly dovecot: DovecotHandle;
  /** What children need to assemble the same plugin. */
  readonly settings: BenchPluginSettings;
  /** The plugin in this process. */
  readonly plugin: BenchPlugin;
  readonly appId: string;
  /** Creates an account for `mailbox` (replacing an earlier one for it) and connects it through the code flow. */
  addAccount(mailbox: string, fields?: Record<string, unknown>): Promise<MailAccount>;
  stop(): Promise<void>;
}

/**
 * A sign-in user per mailbox the bench uses (password `<local part>-password`).
 * @param mailboxes - addresses under example.test
 */
export function benchUsers(mailboxes: readonly string[]): TestUser[] {
  return mailboxes.map((email) => ({
    login: email,
    email,
    password: `${email.split('@')[0]}-password`,
    name: `Bench ${email}`,
  }));
}

/** Where {@link connectBenchAccount} creates and connects an account. */
export interface BenchAccountTarget {
  readonly plugin: BenchPlugin;
  readonly appId: string;
  readonly oauthServer: OAuthServerHandle;
  readonly dovecot: DovecotHandle;
}

/**
 * Creates an account for `mailbox` (a bench user's address) on Dovecot's IMAPS port and connects it through the
 * real code flow (authorization URL -> the server's login page -> callback).
 * @param target - the plugin (its database) and the servers
 * @param mailbox - the address
 * @param fields - account fields over the defaults (initial sync all, keep)
 */
export async function connectBenchAccount(
  target: BenchAccountTarget,
  mailbox: string,
  fields: Record<string, unknown> = {},
): Promise<MailAccount> {
  const { plugin, oauthServer } = target;
  const account = await plugin.oauth.accounts.create(
    {
      appId: target.appId,
      mailbox,
      host: '127.0.0.1',
      port: target.dovecot.ports.imaps,
      tls: 'implicit',
      initialSync: 'all',
      postFetch: 'keep',
      ...fields,
    },
    'admin-1',
  );
  const user = oauthServer.user(mailbox);
  const { authorizationUrl } = await plugin.oauth.authorization.start(account.id, 'admin-1');
  const back = new URL(
    await completeAuthorization(authorizationUrl, {
      login: user.login,
      password: user.password ?? '',
      caCertPem: oauthServer.caCertPem,
    }),
  );
  await plugin.oauth.authorization.complete(Object.fromEntries(back.searchParams), 'admin-1');
  const connected = await plugin.repositories.accounts.find(account.id);
  if (!connected || connected.status !== 'connected')
    throw new Error(`bench: ${mailbox} did not connect (status ${connected?.status ?? 'missing'})`);
  return connected;
}

/**
 * Starts the servers and the database and registers the app.
 * @param mailboxes - the bench's mailboxes (each gets a user at the OAuth server)
 * @param config - plugin config (fetch limits)
 */
export async function startBenchEnvironment(
  mailboxes: readonly string[],
  config: Record<string, unknown>,
): Promise<BenchEnvironment> {
  const dir = tempDir('o2m-bench');
  const oauthServer = await startOAuthServer({
    profile: 'microsoft',
    dir,
    users: [...DEFAULT_USERS, ...benchUsers(mailboxes)],
    redirectUris: [TEST_REDIRECT_URI],
  });
  let dovecot: DovecotHandle | undefined;
  try {
    dovecot = await startDovecot({ dir, oauth: oauthServer });
    const dbFile = join(dir, 'bench.sqlite');
    const migrator = createKnex(dbFile);
    try {
      await migrateHost(migrator);
    } finally {
      await migrator.destroy();
    }
    const settings: BenchPluginSettings = {
      dbFile,
      secretKeyBase64: randomBytes(32).toString('base64'),
      oauthCaPem: oauthServer.caCertPem,
      dovecotCaPem: dovecot.caCertPem,
      redirectUri: TEST_REDIRECT_URI,
      config,
      logFile: join(dir, 'bench-host.log'),
    };
    // The first assembly runs the plugin's migrations, as activation does in production; children find them done.
    const plugin = await assembleBenchPlugin(settings);
    const app = await plugin.oauth.apps.create(localMicrosoftApp(oauthServer), null);
    const running = dovecot;
    return {
      dir,
      oauthServer,
      dovecot: running,
      settings,
      plugin,
      appId: app.id,
      async addAccount(mailbox, fields = {}) {
        // A mailbox is configured once (a second account is refused): the bench reads a mailbox again from scratch
        // with a new account, so the earlier one leaves the store first (its token is not revoked: raw runs use it).
        for (const earlier of await plugin.repositories.accounts.list())
          if (earlier.mailbox === mailbox) await plugin.repositories.accounts.remove(earlier.id);
        return connectBenchAccount({ plugin, appId: app.id, oauthServer, dovecot: running }, mailbox, fields);
      },
      async stop() {
        await plugin.close().catch(() => undefined);
        await Promise.all([running.stop(), oauthServer.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([dovecot?.stop(), oauthServer.stop()]);
    throw error;
  }
}
