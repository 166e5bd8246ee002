/** In-memory implementations of the ports the OAuth core uses, for unit tests (the knex ones run in integration tests). */
import { PluginError } from '../../../plugin/errors';
import type {
  AccountRepository,
  AccountStatusChange,
  MailAccount,
  MailAccountInput,
  PollRecord,
} from '../../../plugin/ports/account-repository';
import type { AppRegistration, AppRegistrationInput, AppRepository } from '../../../plugin/ports/app-repository';
import type { AuthRequest, AuthRequestRepository } from '../../../plugin/ports/auth-request-repository';
import type { Clock } from '../../../plugin/ports/clock';
import type { EventLog, PluginEvent } from '../../../plugin/ports/event-log';
import type { MailConnectionOptions, MailFetcher, MailSession } from '../../../plugin/ports/mail-fetcher';
import type {
  JsonWebKeySet,
  OAuthClient,
  OAuthClientConfig,
  ProviderMetadata,
  TokenSet,
} from '../../../plugin/ports/oauth-client';
import type { StoredToken, TokenRepository, TokenWrite } from '../../../plugin/ports/token-repository';

export { CapturingLogger } from '../../helpers/capturing-logger';
export { MemoryNotify } from '../../helpers/memory-notify';

/** A clock the test moves. */
export class FakeClock implements Clock {
  constructor(public time = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Apps in memory; the secret kept apart like the real repository does. */
export class MemoryAppRepository implements AppRepository {
  readonly apps = new Map<string, AppRegistration>();
  readonly secrets = new Map<string, string>();
  private next = 1;
  constructor(private readonly clock: Clock) {}
  async create(input: AppRegistrationInput & { readonly clientSecret: string }): Promise<AppRegistration> {
    const id = String(this.next++);
    const now = this.clock.now();
    const app: AppRegistration = {
      id,
      name: input.name,
      provider: input.provider,
      cloud: input.cloud ?? null,
      tenant: input.tenant ?? null,
      issuerUrl: input.issuerUrl ?? null,
      authorizeUrl: input.authorizeUrl ?? null,
      tokenUrl: input.tokenUrl ?? null,
      revocationUrl: input.revocationUrl ?? null,
      userinfoUrl: input.userinfoUrl ?? null,
      clientId: input.clientId,
      scopes: input.scopes ?? null,
      secretExpiresAt: input.secretExpiresAt ?? null,
      createdAt: now,
      updatedAt: now,
    };
    this.apps.set(id, app);
    this.secrets.set(id, input.clientSecret);
    return app;
  }
  async update(id: string, input: AppRegistrationInput): Promise<AppRegistration> {
    const before = this.apps.get(id);
    if (!before) throw new PluginError('ERR_NOT_FOUND');
    const { clientSecret, ...rest } = input;
    const app = { ...before, ...rest, updatedAt: this.clock.now() } as AppRegistration;
    this.apps.set(id, app);
    if (clientSecret !== undefined) this.secrets.set(id, clientSecret);
    return app;
  }
  async find(id: string): Promise<AppRegistration | null> {
    return this.apps.get(id) ?? null;
  }
  async list(): Promise<AppRegistration[]> {
    return [...this.apps.values()];
  }
  async clientSecret(id: string): Promise<string> {
    const secret = this.secrets.get(id);
    if (secret === undefined) throw new PluginError('ERR_NOT_FOUND');
    return secret;
  }
  async remove(id: string): Promise<void> {
    this.apps.delete(id);
    this.secrets.delete(id);
  }
}

/** Accounts in memory. */
export class MemoryAccountRepository implements AccountRepository {
  readonly accounts = new Map<string, MailAccount>();
  private next = 1;
  constructor(private readonly clock: Clock) {}
  async create(input: MailAccountInput): Promise<MailAccount> {
    const id = String(this.next++);
    const now = this.clock.now();
    const account: MailAccount = {
      id,
      appId: input.appId,
      mailbox: input.mailbox,
      authMode: 'delegated',
      protocol: input.protocol ?? 'imap',
      host: input.host,
      port: input.port,
      tls: input.tls,
      folder: input.folder ?? 'INBOX',
      initialSync: input.initialSync ?? 'unseen',
      postFetch: input.postFetch ?? 'mark_seen',
      pollIntervalSeconds: input.pollIntervalSeconds ?? 60,
      sharedViaDelegate: input.sharedViaDelegate ?? false,
      enabled: input.enabled ?? true,
      status: 'not_connected',
      statusCode: null,
      statusDetail: null,
      authorizedIdentity: null,
      lastPollAt: null,
      lastSuccessAt: null,
      nextPollAt: null,
      failureCount: 0,
      messagesFetched: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.accounts.set(id, account);
    return account;
  }
  async update(id: string, input: MailAccountInput): Promise<MailAccount> {
    const before = this.accounts.get(id);
    if (!before) throw new PluginError('ERR_NOT_FOUND');
    const account = { ...before, ...input, updatedAt: this.clock.now() } as MailAccount;
    this.accounts.set(id, account);
    return account;
  }
  async find(id: string): Promise<MailAccount | null> {
    return this.accounts.get(id) ?? null;
  }
  async list(filter?: { readonly appId?: string }): Promise<MailAccount[]> {
    return [...this.accounts.values()].filter((a) => !filter?.appId || a.appId === filter.appId);
  }
  async remove(id: string): Promise<void> {
    this.accounts.delete(id);
  }
  async setStatus(id: string, change: AccountStatusChange): Promise<MailAccount> {
    const before = this.accounts.get(id);
    if (!before) throw new PluginError('ERR_NOT_FOUND');
    const account: MailAccount = {
      ...before,
      status: change.status,
      statusCode: change.statusCode === undefined ? before.statusCode : change.statusCode,
      statusDetail: change.statusDetail === undefined ? before.statusDetail : change.statusDetail,
      authorizedIdentity:
        change.authorizedIdentity === undefined ? before.authorizedIdentity : change.authorizedIdentity,
      updatedAt: this.clock.now(),
    };
    this.accounts.set(id, account);
    return account;
  }
  async recordPoll(_id: string, _outcome: PollRecord): Promise<void> {}
  async listDue(): Promise<MailAccount[]> {
    return [...this.accounts.values()];
  }
  async acquireLease(): Promise<boolean> {
    return true;
  }
  async releaseLease(): Promise<void> {}
}

/** Tokens in memory, with the same CAS and lease semantics as the knex repository. */
export class MemoryTokenRepository implements TokenRepository {
  readonly rows = new Map<string, StoredToken & { leaseOwner: string | null; leaseUntil: number | null }>();
  /** Set to make the next compareAndSwap fail like a lost database connection. */
  failNextWrite = false;
  writes = 0;
  async find(accountId: string): Promise<StoredToken | null> {
    const row = this.rows.get(accountId);
    if (!row) return null;
    const { leaseOwner: _o, leaseUntil: _u, ...token } = row;
    return { ...token };
  }
  async replace(accountId: string, write: TokenWrite): Promise<StoredToken> {
    const before = this.rows.get(accountId);
    this.rows.set(accountId, {
      accountId,
      accessToken: write.accessToken,
      accessTokenExpiresAt: write.accessTokenExpiresAt,
      refreshToken: write.refreshToken,
      scope: write.scope,
      version: (before?.version ?? 0) + 1,
      obtainedAt: write.at,
      refreshedAt: write.at,
      leaseOwner: null,
      leaseUntil: null,
    });
    this.writes++;
    return (await this.find(accountId))!;
  }
  async compareAndSwap(accountId: string, expectedVersion: number, write: TokenWrite): Promise<StoredToken | null> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new PluginError('ERR_DATABASE_UNAVAILABLE', 'The database connection was lost.');
    }
    const row = this.rows.get(accountId);
    if (!row || row.version !== expectedVersion) return null;
    this.rows.set(accountId, {
      ...row,
      accessToken: write.accessToken,
      accessTokenExpiresAt: write.accessTokenExpiresAt,
      refreshToken: write.refreshToken,
      scope: write.scope,
      version: expectedVersion + 1,
      refreshedAt: write.at,
      leaseOwner: null,
      leaseUntil: null,
    });
    this.writes++;
    return this.find(accountId);
  }
  async acquireRefreshLease(accountId: string, owner: string, until: number, now: number): Promise<boolean> {
    const row = this.rows.get(accountId);
    if (!row) return false;
    if (row.leaseOwner && row.leaseUntil !== null && row.leaseUntil >= now && row.leaseOwner !== owner) return false;
    row.leaseOwner = owner;
    row.leaseUntil = until;
    return true;
  }
  async releaseRefreshLease(accountId: string, owner: string): Promise<void> {
    const row = this.rows.get(accountId);
    if (row && row.leaseOwner === owner) {
      row.leaseOwner = null;
      row.leaseUntil = null;
    }
  }
  async delete(accountId: string): Promise<void> {
    this.rows.delete(accountId);
  }
}

/** Pending authorization requests in memory. */
export class MemoryAuthRequestRepository implements AuthRequestRepository {
  readonly requests = new Map<string, AuthRequest>();
  async create(request: Omit<AuthRequest, 'consumedAt'>): Promise<void> {
    this.requests.set(request.stateHash, { ...request, consumedAt: null });
  }
  async find(stateHash: string): Promise<AuthRequest | null> {
    return this.requests.get(stateHash) ?? null;
  }
  async consume(stateHash: string, at: number): Promise<boolean> {
    const request = this.requests.get(stateHash);
    if (!request || request.consumedAt !== null) return false;
    this.requests.set(stateHash, { ...request, consumedAt: at });
    return true;
  }
  async purgeExpired(before: number): Promise<number> {
    let purged = 0;
    for (const [hash, request] of this.requests) {
      if (request.expiresAt < before) {
        this.requests.delete(hash);
        purged++;
      }
    }
    return purged;
  }
}

/** Events in memory. */
export class MemoryEventLog implements EventLog {
  readonly events: PluginEvent[] = [];
  async record(event: Omit<PluginEvent, 'id'>): Promise<void> {
    this.events.push({ ...event, id: String(this.events.length + 1) });
  }
  async list(filter: {
    readonly accountId?: string;
    readonly appId?: string;
    readonly limit: number;
  }): Promise<PluginEvent[]> {
    return this.events
      .filter(
        (e) => (!filter.accountId || e.accountId === filter.accountId) && (!filter.appId || e.appId === filter.appId),
      )
      .slice(-filter.limit);
  }
  types(accountId?: string): string[] {
    return this.events.filter((e) => !accountId || e.accountId === accountId).map((e) => e.type);
  }
}

/** A mail fetcher that accepts only the (user, token) pairs it was told about. */
export class FakeMailFetcher implements MailFetcher {
  readonly attempts: MailConnectionOptions[] = [];
  constructor(private readonly accepts: (options: MailConnectionOptions) => boolean) {}
  async connect(options: MailConnectionOptions): Promise<MailSession> {
    this.attempts.push(options);
    if (!this.accepts(options)) throw new PluginError('ERR_MAIL_AUTH_FAILED', 'AUTHENTICATE failed.');
    return {
      mechanism: 'XOAUTH2',
      listFolders: async () => ['INBOX'],
      openFolder: async (path) => ({ path, uidValidity: '1', uidNext: 1, exists: 0 }),
      listMessages: async () => [],
      download: async () => null,
      markSeen: async () => undefined,
      move: async () => undefined,
      delete: async () => undefined,
      close: async () => undefined,
    };
  }
}

/** An OAuth client whose answers the test scripts. */
export class ScriptedOAuthClient implements OAuthClient {
  refreshCalls: Array<{ refreshToken: string; scope?: string | null }> = [];
  exchangeCalls: Array<{ code: string; redirectUri: string; codeVerifier: string }> = [];
  revokeCalls: Array<{ token: string; tokenTypeHint: string; url: string | null }> = [];
  authorizeParams: Array<Record<string, string>> = [];
  onRefresh: (grant: { refreshToken: string; scope?: string | null }, call: number) => Promise<TokenSet> = async () => {
    throw new Error('no refresh scripted');
  };
  onExchange: (grant: { code: string; codeVerifier: string }) => Promise<TokenSet> = async () => {
    throw new Error('no exchange scripted');
  };
  onRevoke: () => Promise<void> = async () => undefined;
  jwks: JsonWebKeySet = { keys: [] };
  userinfo: Record<string, unknown> | null = null;
  discovery: ProviderMetadata | null = null;

  authorizationUrl(config: OAuthClientConfig, params: Readonly<Record<string, string>>): string {
    this.authorizeParams.push({ ...params });
    const url = new URL(config.endpoints.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', config.clientId);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }
  async exchangeCode(
    _config: OAuthClientConfig,
    grant: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  ): Promise<TokenSet> {
    this.exchangeCalls.push({ ...grant });
    return this.onExchange(grant);
  }
  async refresh(
    _config: OAuthClientConfig,
    grant: { readonly refreshToken: string; readonly scope?: string | null },
  ): Promise<TokenSet> {
    this.refreshCalls.push({ ...grant });
    return this.onRefresh(grant, this.refreshCalls.length);
  }
  async revoke(
    config: OAuthClientConfig,
    token: { readonly token: string; readonly tokenTypeHint: 'refresh_token' | 'access_token' },
  ): Promise<void> {
    this.revokeCalls.push({ ...token, url: config.endpoints.revocationUrl });
    return this.onRevoke();
  }
  async discover(): Promise<ProviderMetadata> {
    if (!this.discovery) throw new PluginError('ERR_PROVIDER_CONFIG', 'no discovery scripted');
    return this.discovery;
  }
  async fetchJwks(): Promise<JsonWebKeySet> {
    return this.jwks;
  }
  async fetchUserinfo(): Promise<Readonly<Record<string, unknown>>> {
    if (!this.userinfo) throw new PluginError('ERR_PROVIDER_UNAVAILABLE', 'no userinfo');
    return this.userinfo;
  }
}
