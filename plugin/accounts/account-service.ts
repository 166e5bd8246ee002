/**
 * Mail accounts: validation shared by the console and the admin screen (defaults from the app's provider,
 * TLS rules), create / update / list / remove, and the Connect / Disconnect entry points.
 */
import type { z } from 'zod';
import { PluginError, toPluginError } from '../errors';
import type {
  AccountRepository,
  MailAccount,
  MailAccountInput,
  PostFetchAction,
  TlsMode,
} from '../ports/account-repository';
import type { AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { EventLog, EventType } from '../ports/event-log';
import type { LoggerPort } from '../ports/host';
import type { AppConnectService } from '../oauth/app-connect-service';
import type { AuthorizationService } from '../oauth/authorization-service';
import type { DeviceSignInService, DeviceSignInView } from '../oauth/device-sign-in-service';
import type { ConnectResult } from '../oauth/grant-storage';
import type { DisconnectResult, DisconnectService } from '../oauth/disconnect-service';
import { authModeProblem } from '../oauth/auth-modes';
import { providerFor } from '../oauth/providers';
import { hostRefusal, isLoopbackHost } from '../oauth/providers/url-policy';
import { allIssues, inputError, parseEveryField } from '../oauth/validation';
import { AccountFields } from './account-input';
import { defaultPort, mailServiceOf, protocolDefaults, protocolSettingProblems } from './protocol-settings';
import { accountActivity, type AccountActivity } from './account-activity';

/** What the console's `account show --json` and the admin screen's list show of an account. */
export interface AccountSummary {
  readonly id: string;
  readonly appId: string;
  readonly mailbox: string;
  /** `delegated`, `app_only` or `service_account`. */
  readonly authMode: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly folder: string;
  readonly initialSync: string;
  readonly postFetch: string;
  readonly pollIntervalSeconds: number;
  readonly sharedViaDelegate: boolean;
  /** Replies may be sent through this account. */
  readonly smtpEnabled: boolean;
  readonly smtpHost: string | null;
  readonly smtpPort: number | null;
  readonly smtpTls: TlsMode | null;
  /** The From address of replies (the mailbox when not set). */
  readonly smtpFrom: string;
  readonly enabled: boolean;
  /** The stored status (`connected` while a poll runs, too: see `activity`). */
  readonly status: string;
  /** While a live poll lease is held: `polling` (this process) or `waiting_for_other_process`; else null. */
  readonly activity: AccountActivity | null;
  /** Who holds the live poll lease, and until when (epoch ms); null when none is held. */
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
  readonly statusCode: string | null;
  readonly detail: string | null;
  readonly authorizedIdentity: string | null;
  readonly lastPollAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly messagesFetched: number;
}

/**
 * The summary of an account (no secret lives on an account, so this is a projection for display).
 * @param account - the account as stored
 * @param now - epoch ms, to tell a live poll lease from a lapsed one
 */
export function summarizeAccount(account: MailAccount, now: number): AccountSummary {
  const live = accountActivity(account, now);
  return {
    id: account.id,
    appId: account.appId,
    mailbox: account.mailbox,
    authMode: account.authMode,
    protocol: account.protocol,
    host: account.host,
    port: account.port,
    tls: account.tls,
    folder: account.folder,
    initialSync: account.initialSync,
    postFetch: account.postFetch,
    pollIntervalSeconds: account.pollIntervalSeconds,
    sharedViaDelegate: account.sharedViaDelegate,
    smtpEnabled: account.smtp.enabled,
    smtpHost: account.smtp.host,
    smtpPort: account.smtp.port,
    smtpTls: account.smtp.tls,
    smtpFrom: account.smtp.from ?? account.mailbox,
    enabled: account.enabled,
    status: account.status,
    activity: live?.activity ?? null,
    leaseOwner: live?.owner ?? null,
    leaseUntil: live?.until ?? null,
    statusCode: account.statusCode,
    detail: account.statusDetail,
    authorizedIdentity: account.authorizedIdentity,
    lastPollAt: account.lastPollAt,
    lastSuccessAt: account.lastSuccessAt,
    messagesFetched: account.messagesFetched,
  };
}

/** Dependencies of {@link AccountService}. */
export interface AccountServiceDeps {
  readonly accounts: AccountRepository;
  readonly apps: AppRepository;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: LoggerPort;
  readonly authorization: Pick<AuthorizationService, 'start'>;
  readonly appConnect: Pick<AppConnectService, 'connect'>;
  readonly deviceSignIns: Pick<DeviceSignInService, 'start' | 'view' | 'wait'>;
  readonly disconnect: Pick<DisconnectService, 'disconnect'>;
  /** Plugin config `allowInsecureLoopback`: cleartext IMAP only to 127.0.0.1 / localhost. */
  readonly allowInsecureLoopback: boolean;
  /** Plugin config `allowPrivateNetworks` (default false): mail servers in private networks. */
  readonly allowPrivateNetworks?: boolean;
}

const DEFAULT_POLL_SECONDS = 60;

/** What Connect did: a browser must go to the provider (delegated), or the account is connected (app tokens). */
export type ConnectStart =
  | { readonly kind: 'browser'; readonly authorizationUrl: string; readonly expiresAt: number }
  | { readonly kind: 'connected'; readonly result: ConnectResult };

/** True when both read the same mail: the same address on the same server, protocol and folder. */
function sameMailbox(account: MailAccount, input: MailAccountInput): boolean {
  const folderOf = (folder: string) => (folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder);
  return (
    account.mailbox.toLowerCase() === input.mailbox.toLowerCase() &&
    account.host.toLowerCase() === input.host.toLowerCase() &&
    account.protocol === input.protocol &&
    (account.protocol !== 'imap' || folderOf(account.folder) === folderOf(input.folder ?? 'INBOX'))
  );
}

/** Mail accounts. */
export class AccountService {
  /** @param deps - repositories, event log, the Connect and Disconnect services, TLS policy */
  constructor(private readonly deps: AccountServiceDeps) {}

  /**
   * Validates raw input and fills the provider's defaults (host, port, TLS).
   * @throws PluginError ERR_INPUT_INVALID naming every invalid field (an unknown app is a field error on `appId`)
   */
  async validate(raw: unknown): Promise<MailAccountInput> {
    const parsed = parseEveryField(AccountFields, raw);
    const input = parsed.data;
    if (!input || input.appId === undefined) throw inputError('mail account', parsed.issues);
    const problems: z.core.$ZodIssue[] = [];
    const problem = (field: string, message: string) =>
      problems.push({ code: 'custom', path: [field], message, input: undefined } as z.core.$ZodIssue);

    const app = await this.deps.apps.find(input.appId);
    if (!app) {
      problem('appId', `no app registration has the id ${input.appId}`);
      throw inputError('mail account', allIssues(parsed.issues, problems));
    }
    const modeProblem = authModeProblem(app, input.authMode);
    if (modeProblem) problem('authMode', modeProblem);
    if (input.authMode !== 'delegated' && input.sharedViaDelegate)
      problem('sharedViaDelegate', 'applies to delegated sign-ins only (nobody signs in for an app token)');
    const provider = providerFor(app.provider);
    const preset = input.host === undefined ? provider.defaultServer(app, mailServiceOf(input.protocol)) : null;
    const host = input.host ?? preset?.host;
    const tls: TlsMode = input.tls ?? preset?.tls ?? 'implicit';
    const port = input.port ?? preset?.port ?? defaultPort(input.protocol, tls === 'implicit');
    for (const [field, message] of protocolSettingProblems(input.protocol, input)) problem(field, message);
    const defaults = protocolDefaults(input.protocol);
    if (!host) problem('host', `is required: the ${app.provider} provider has no default mail server`);
    const network = { allowPrivateNetworks: this.deps.allowPrivateNetworks ?? false };
    const refusal = host ? hostRefusal(host, network) : null;
    if (refusal !== null) problem('host', `${refusal}; the plugin does not connect there`);
    const cleartextRefused =
      'none (cleartext) is only allowed to 127.0.0.1 / localhost with the plugin config allowInsecureLoopback; ' +
      'use implicit or starttls';
    const cleartextAllowed = (server: string) => this.deps.allowInsecureLoopback && isLoopbackHost(server);
    if (tls === 'none' && host && !cleartextAllowed(host)) problem('tls', cleartextRefused);

    const smtpPreset = input.smtpEnabled && input.smtpHost === undefined ? provider.defaultServer(app, 'smtp') : null;
    const smtpHost = input.smtpHost ?? smtpPreset?.host ?? null;
    const smtpTls: TlsMode | null = input.smtpTls ?? smtpPreset?.tls ?? (smtpHost ? 'starttls' : null);
    const smtpPort = input.smtpPort ?? smtpPreset?.port ?? (smtpHost ? (smtpTls === 'implicit' ? 465 : 587) : null);
    if (input.smtpEnabled && !smtpHost)
      problem('smtpHost', `is required to send: the ${app.provider} provider has no default SMTP server`);
    const smtpRefusal = smtpHost ? hostRefusal(smtpHost, network) : null;
    if (smtpRefusal !== null) problem('smtpHost', `${smtpRefusal}; the plugin does not connect there`);
    if (smtpTls === 'none' && smtpHost && !cleartextAllowed(smtpHost)) problem('smtpTls', cleartextRefused);
    if (problems.length > 0 || parsed.issues.length > 0)
      throw inputError('mail account', allIssues(parsed.issues, problems));
    return {
      appId: app.id,
      mailbox: input.mailbox,
      authMode: input.authMode,
      protocol: input.protocol,
      host: host!,
      port,
      tls,
      folder: input.folder ?? defaults.folder,
      initialSync: input.initialSync ?? defaults.initialSync,
      postFetch: (input.postFetch as PostFetchAction | undefined) ?? defaults.postFetch,
      pollIntervalSeconds: input.pollIntervalSeconds ?? DEFAULT_POLL_SECONDS,
      sharedViaDelegate: input.sharedViaDelegate,
      smtp: {
        enabled: input.smtpEnabled,
        host: smtpHost,
        port: smtpPort,
        tls: smtpTls,
        from: input.smtpFrom && input.smtpFrom.toLowerCase() !== input.mailbox.toLowerCase() ? input.smtpFrom : null,
      },
      enabled: input.enabled,
    };
  }

  /** @throws PluginError ERR_INPUT_INVALID (also when the mailbox is already configured, naming that account) */
  async create(raw: unknown, actorId: string | null): Promise<MailAccount> {
    const input = await this.validate(raw);
    await this.refuseDuplicate(input, null);
    const account = await this.deps.accounts.create(input);
    await this.record(
      'account_created',
      account,
      actorId,
      `Mail account ${account.mailbox} created (${account.host}:${account.port}, ${account.tls}).`,
    );
    return account;
  }

  /**
   * Replaces the account's settings. A changed mailbox, app or auth mode invalidates the grant: the tokens are removed
   * through Disconnect so the next Connect starts clean.
   * @throws PluginError ERR_INPUT_INVALID | ERR_NOT_FOUND
   */
  async update(id: string, raw: unknown, actorId: string | null): Promise<MailAccount> {
    const before = await this.get(id);
    const input = await this.validate(raw);
    await this.refuseDuplicate(input, id);
    const identityChanged =
      before.mailbox.toLowerCase() !== input.mailbox.toLowerCase() ||
      before.appId !== input.appId ||
      before.authMode !== input.authMode;
    const account = await this.deps.accounts.update(id, input);
    await this.record('account_updated', account, actorId, `Mail account ${account.mailbox} updated.`);
    if (identityChanged && before.status !== 'not_connected') {
      await this.deps.disconnect.disconnect(id, actorId);
      return this.get(id);
    }
    return account;
  }

  /** Every account, or those of one app. */
  list(filter?: { readonly appId?: string }): Promise<MailAccount[]> {
    return this.deps.accounts.list(filter);
  }

  /** @throws PluginError ERR_NOT_FOUND */
  async get(id: string): Promise<MailAccount> {
    const account = await this.deps.accounts.find(id);
    if (!account) throw new PluginError('ERR_NOT_FOUND', `Mail account ${id} does not exist.`, { accountId: id });
    return account;
  }

  /** Disconnects (revoking where supported) and removes the account. @throws PluginError ERR_NOT_FOUND */
  async remove(id: string, actorId: string | null): Promise<void> {
    const account = await this.get(id);
    if (account.status !== 'not_connected') {
      try {
        await this.deps.disconnect.disconnect(id, actorId);
      } catch (error) {
        this.deps.logger.warn('oauth2-mail: disconnect before removal failed; removing anyway', {
          accountId: id,
          code: toPluginError(error).code,
        });
      }
    }
    await this.deps.accounts.remove(id);
    await this.record('account_removed', account, actorId, `Mail account ${account.mailbox} removed.`);
  }

  /**
   * Connect / Re-authorize: for a delegated account the provider URL the browser goes to; an app-only or
   * service-account account is connected right away (token, mailbox login, stored).
   * @throws PluginError ERR_NOT_FOUND | ERR_PROVIDER_CONFIG | ERR_PROVIDER_UNAVAILABLE | the app token's or the
   *   mailbox login's refusal
   */
  async connect(id: string, actorId: string): Promise<ConnectStart> {
    const account = await this.get(id);
    if (account.authMode !== 'delegated')
      return { kind: 'connected', result: await this.deps.appConnect.connect(id, actorId) };
    return { kind: 'browser', ...(await this.deps.authorization.start(id, actorId)) };
  }

  /**
   * Connect with a code (device flow) for a delegated account: the code and where to enter it; the plugin polls.
   * @throws PluginError ERR_NOT_FOUND | ERR_INPUT_INVALID | ERR_PROVIDER_CONFIG (no device endpoint) | …
   */
  connectWithCode(id: string, actorId: string): Promise<DeviceSignInView> {
    return this.deps.deviceSignIns.start(id, actorId);
  }

  /** The account's device sign-in, if one was started in this process. */
  deviceSignIn(id: string): DeviceSignInView | null {
    return this.deps.deviceSignIns.view(id);
  }

  /**
   * Waits until the account's device sign-in is approved (and checked), denied or expired.
   * @throws PluginError ERR_NOT_FOUND | ERR_AUTHORIZATION_DENIED | ERR_DEVICE_CODE_EXPIRED | ERR_IDENTITY_MISMATCH | …
   */
  waitForDeviceSignIn(id: string): Promise<ConnectResult> {
    return this.deps.deviceSignIns.wait(id);
  }

  /**
   * Revokes where supported and deletes the tokens.
   * @param actorName - who asked, in the account's status ("Disconnected by …")
   * @throws PluginError ERR_NOT_FOUND
   */
  disconnect(id: string, actorId: string | null, actorName: string | null = null): Promise<DisconnectResult> {
    return this.deps.disconnect.disconnect(id, actorId, actorName);
  }

  /**
   * A mailbox (address, server, protocol and folder) is configured once: a second account for it would turn every
   * message into a second ticket.
   * @param exceptId - the account being updated (it may keep its own mailbox)
   */
  private async refuseDuplicate(input: MailAccountInput, exceptId: string | null): Promise<void> {
    const existing = (await this.deps.accounts.list()).find(
      (account) => account.id !== exceptId && sameMailbox(account, input),
    );
    if (!existing) return;
    const where = input.protocol === 'imap' ? `${existing.host}, folder ${existing.folder}` : existing.host;
    throw inputError('mail account', [
      {
        code: 'custom',
        path: ['mailbox'],
        message:
          `is already configured as mail account ${existing.id} (${existing.mailbox} on ${where}): ` +
          'a second account would make every message a second ticket; edit that account instead',
        input: undefined,
      } as z.core.$ZodIssue,
    ]);
  }

  private async record(type: EventType, account: MailAccount, actorId: string | null, message: string): Promise<void> {
    await this.deps.events.record({
      at: this.deps.clock.now(),
      type,
      accountId: account.id,
      appId: account.appId,
      actorId,
      code: null,
      message,
    });
  }
}
