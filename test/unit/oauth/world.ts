/** A complete OAuth core over in-memory fakes, as plugin/main.ts wires it over knex and simple-oauth2. */
import { parseConfig } from '../../../plugin/config';
import type { MailConnectionOptions } from '../../../plugin/ports/mail-fetcher';
import { createOAuthServices, type OAuthServices } from '../../../plugin/oauth/oauth-services';
import type { TokenServiceOptions } from '../../../plugin/oauth/token-service';
import { CapturingLogger } from '../../helpers/capturing-logger';
import { FakeMailServer } from '../../helpers/fakes/fake-mail-server';
import { ScriptedOAuthClient } from '../../helpers/fakes/scripted-oauth-client';
import { ManualClock } from '../../helpers/manual-clock';
import {
  createMemoryRepositories,
  type MemoryAccountRepository,
  type MemoryAppRepository,
  type MemoryAuthRequestRepository,
  type MemoryEventLog,
  type MemoryMailLedger,
  type MemoryTokenRepository,
} from '../../helpers/memory';
import { MemoryNotify } from '../../helpers/memory-notify';

/** Where the OAuth unit tests' clock starts: mid-month, midday. */
export const WORLD_START = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Everything a unit test touches. */
export interface World {
  readonly clock: ManualClock;
  readonly apps: MemoryAppRepository;
  readonly accounts: MemoryAccountRepository;
  readonly tokens: MemoryTokenRepository;
  readonly authRequests: MemoryAuthRequestRepository;
  readonly events: MemoryEventLog;
  /** The mail ledger over the same store (for tests that run a poll cycle beside the OAuth core). */
  readonly ledger: MemoryMailLedger;
  readonly notify: MemoryNotify;
  readonly logger: CapturingLogger;
  readonly oauth: ScriptedOAuthClient;
  readonly mail: FakeMailServer;
  readonly services: OAuthServices;
  /** The (user, token) pairs the fake mail server accepts. */
  readonly mailboxAccess: Set<string>;
  /** Every wait of a device sign-in between polls (ms); each one advances the clock by as much. */
  readonly deviceSleeps: number[];
}

/**
 * @param options - token service tuning and an optional second "process" sharing the repositories
 */
export function createWorld(options: { tokenOptions?: TokenServiceOptions; share?: World } = {}): World {
  const clock = options.share?.clock ?? new ManualClock(WORLD_START);
  const { apps, accounts, tokens, authRequests, events, ledger } = options.share ?? createMemoryRepositories(clock);
  const notify = options.share?.notify ?? new MemoryNotify();
  const logger = options.share?.logger ?? new CapturingLogger();
  const oauth = options.share?.oauth ?? new ScriptedOAuthClient();
  const mailboxAccess = options.share?.mailboxAccess ?? new Set<string>();
  const mail =
    options.share?.mail ??
    new FakeMailServer({ accepts: (o: MailConnectionOptions) => mailboxAccess.has(`${o.user}|${o.accessToken}`) });
  const deviceSleeps = options.share?.deviceSleeps ?? [];
  const services = createOAuthServices({
    repositories: { apps, accounts, tokens, authRequests, events },
    notify,
    logger,
    clock,
    oauthClient: oauth,
    mailFetcher: mail,
    redirectUri: 'https://helpdesk.example.com/plugins/oauth2-mail/callback',
    config: parseConfig({}),
    tokenOptions: { sleep: async () => undefined, random: () => 0.5, ...options.tokenOptions },
    deviceSleep: async (ms) => {
      deviceSleeps.push(ms);
      clock.advance(ms);
    },
  });
  return {
    clock,
    apps,
    accounts,
    tokens,
    authRequests,
    events,
    ledger,
    notify,
    logger,
    oauth,
    mail,
    services,
    mailboxAccess,
    deviceSleeps,
  };
}

/** Creates a Microsoft app and an account for `mailbox` in `world`. */
export async function seedMicrosoftAccount(
  world: World,
  mailbox = 'support@contoso.com',
  extra: Record<string, unknown> = {},
): Promise<{ appId: string; accountId: string }> {
  const app = await world.services.apps.create(
    {
      name: 'Contoso',
      provider: 'microsoft',
      tenant: 'contoso.com',
      clientId: '0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c',
      clientSecret: 'secret-value-1',
    },
    'admin-1',
  );
  const account = await world.services.accounts.create({ appId: app.id, mailbox, ...extra }, 'admin-1');
  return { appId: app.id, accountId: account.id };
}
