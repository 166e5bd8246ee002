import { ACCOUNT_DEFAULTS } from '../../../adapters/knex/knex-account-repository';
import type {
  AccountRepository,
  AccountStatusChange,
  MailAccount,
  MailAccountInput,
  PollRecord,
} from '../../../plugin/ports/account-repository';
import type { Clock } from '../../../plugin/ports/clock';
import type { AccountRow, MemoryStore } from './memory-store';

/** The fields of an input that are present (`undefined` = keep the stored value on update). */
function presentFields(input: Partial<MailAccountInput>): Partial<MailAccount> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<MailAccount>;
}

/** {@link AccountRepository} in a {@link MemoryStore}, with the poll lease of the knex one (kept on the account). */
export class MemoryAccountRepository implements AccountRepository {
  /**
   * @param store - the database
   * @param clock - timestamps
   */
  constructor(
    private readonly store: MemoryStore,
    private readonly clock: Clock,
  ) {}

  /** Creates the account with status `not_connected`; omitted fields take the knex repository's defaults. */
  async create(input: MailAccountInput): Promise<MailAccount> {
    this.store.requireApp(input.appId);
    const now = this.clock.now();
    const account: MailAccount = {
      id: this.store.nextId('accounts'),
      ...ACCOUNT_DEFAULTS,
      ...presentFields(input),
      appId: input.appId,
      mailbox: input.mailbox,
      host: input.host,
      port: input.port,
      tls: input.tls,
      status: 'not_connected',
      statusCode: null,
      statusDetail: null,
      authorizedIdentity: null,
      lastPollAt: null,
      lastSuccessAt: null,
      nextPollAt: null,
      failureCount: 0,
      messagesFetched: 0,
      lease: null,
      createdAt: now,
      updatedAt: now,
    };
    this.store.accounts.set(account.id, { account });
    return { ...account };
  }

  async update(id: string, input: MailAccountInput): Promise<MailAccount> {
    const row = this.store.requireAccount(id);
    this.store.requireApp(input.appId);
    return this.write(row, { ...presentFields(input), updatedAt: this.clock.now() });
  }

  async find(id: string): Promise<MailAccount | null> {
    const row = this.store.accounts.get(id);
    return row ? { ...row.account } : null;
  }

  /** @returns the accounts (of one app when `filter.appId` is set), oldest first */
  async list(filter: { readonly appId?: string } = {}): Promise<MailAccount[]> {
    return [...this.store.accounts.values()]
      .filter((row) => filter.appId === undefined || row.account.appId === filter.appId)
      .map((row) => ({ ...row.account }));
  }

  /** Removes the account with its tokens, pending authorizations, cursors and deliveries; unknown ids are a no-op. */
  async remove(id: string): Promise<void> {
    this.store.removeAccount(id);
  }

  /** `statusCode` and `statusDetail` omitted = cleared; `authorizedIdentity` omitted = kept. */
  async setStatus(id: string, change: AccountStatusChange): Promise<MailAccount> {
    const row = this.store.requireAccount(id);
    return this.write(row, {
      status: change.status,
      statusCode: change.statusCode ?? null,
      statusDetail: change.statusDetail ?? null,
      ...(change.authorizedIdentity !== undefined ? { authorizedIdentity: change.authorizedIdentity } : {}),
      updatedAt: this.clock.now(),
    });
  }

  async recordPoll(id: string, poll: PollRecord): Promise<void> {
    const row = this.store.requireAccount(id);
    this.write(row, {
      lastPollAt: poll.at,
      nextPollAt: poll.nextPollAt,
      ...(poll.succeeded
        ? { failureCount: 0, lastSuccessAt: poll.at }
        : { failureCount: row.account.failureCount + 1 }),
      updatedAt: this.clock.now(),
    });
  }

  /** Enabled accounts due by `now` (or never polled): never-polled first, then by next poll time, then by id. */
  async listDue(now: number, limit: number): Promise<MailAccount[]> {
    if (!(limit > 0)) return [];
    const order = (account: MailAccount): [number, number, number] => [
      account.nextPollAt === null ? 0 : 1,
      account.nextPollAt ?? 0,
      Number(account.id),
    ];
    return [...this.store.accounts.values()]
      .map((row) => row.account)
      .filter((account) => account.enabled && (account.nextPollAt === null || account.nextPollAt <= now))
      .sort((a, b) => {
        const [x, y] = [order(a), order(b)];
        return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
      })
      .slice(0, Math.floor(limit))
      .map((account) => ({ ...account }));
  }

  /** Takes the lease when none is held, it expired before `now`, or `owner` holds it already (renewal). */
  async acquireLease(id: string, owner: string, until: number, now: number): Promise<boolean> {
    const row = this.store.accounts.get(id);
    if (!row) return false;
    const lease = row.account.lease;
    const free = lease === null || lease.until < now || lease.owner === owner;
    if (free) this.write(row, { lease: { owner, until } });
    return free;
  }

  /** Extends the lease only while `owner` holds it. */
  async renewLease(id: string, owner: string, until: number): Promise<boolean> {
    return this.moveLease(id, owner, owner, until);
  }

  /** Moves the lease only while `previousOwner` holds it. */
  async takeOverLease(id: string, previousOwner: string, owner: string, until: number): Promise<boolean> {
    return this.moveLease(id, previousOwner, owner, until);
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    const row = this.store.accounts.get(id);
    if (row && row.account.lease?.owner === owner) this.write(row, { lease: null });
  }

  private moveLease(id: string, from: string, to: string, until: number): boolean {
    const row = this.store.accounts.get(id);
    if (!row || row.account.lease?.owner !== from) return false;
    this.write(row, { lease: { owner: to, until } });
    return true;
  }

  private write(row: AccountRow, patch: Partial<MailAccount>): MailAccount {
    const account = { ...row.account, ...patch };
    this.store.accounts.set(account.id, { ...row, account });
    return { ...account };
  }
}
