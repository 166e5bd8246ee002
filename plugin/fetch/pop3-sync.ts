/**
 * The message loop of one POP3 maildrop (docs/architecture.md#pop3). POP3 has no UIDVALIDITY and no order
 * guarantee, so there is no cursor: the ledger remembers the UIDLs it settled, and a message is new when its UIDL
 * is not settled. Each new message is settled as an IMAP one is (message-settlement.ts: size limit from LIST, host
 * ingest with a `dedupeKey`, the row after the host accepted, quarantine after N rejections). With `delete`, DELE
 * follows the row's write and QUIT commits it: a session that ends before QUIT leaves the messages on the server,
 * still `ingested` in the ledger, and the next cycle deletes them again without a second ticket. Rows of UIDLs no
 * longer listed are pruned.
 */
import { isPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import { pop3Location, SETTLED_DELIVERY_STATES, type Delivery } from '../ports/mail-ledger';
import type { Pop3Message, Pop3Session } from '../ports/pop3-mailbox';
import {
  MessageSettlement,
  throwIfAborted,
  type FolderSyncCounts,
  type MessageSettlementDeps,
} from './message-settlement';

/** One run of the loop. */
export interface Pop3SyncRun {
  readonly account: MailAccount;
  readonly session: Pop3Session;
  /** Aborted on timeout or shutdown; checked before every message. */
  readonly signal: AbortSignal;
  /** Counted into as the run goes. */
  readonly counts: FolderSyncCounts;
  /** The account lease the run is under: a delivery is recorded only while it is held (else ERR_LEASE_LOST). */
  readonly leaseOwner?: string;
}

/** Runs the message loop for one POP3 account. */
export class Pop3Sync {
  private readonly settlement: MessageSettlement;

  constructor(private readonly deps: MessageSettlementDeps) {
    this.settlement = new MessageSettlement(deps);
  }

  /**
   * Fetches what is new in the maildrop and ends the session with QUIT.
   * @returns the counts; session errors and aborts are thrown (the session is then left without QUIT)
   */
  async run(run: Pop3SyncRun): Promise<FolderSyncCounts> {
    const { account, session, counts } = run;
    const listedAt = this.deps.clock.now();
    const messages = await session.list();
    const rows = new Map<string, Delivery>();
    for (const row of await this.deps.ledger.listDeliveries({ accountId: account.id, folder: '', uidValidity: '' }))
      if (row.uidl) rows.set(row.uidl, row);
    const deleting = account.postFetch === 'delete';
    /** Rows whose DELE was sent in this session: done once QUIT confirms. */
    const marked: Delivery[] = [];
    for (const message of messages) {
      throwIfAborted(run.signal);
      const row = rows.get(message.uidl) ?? null;
      const settled = row !== null && SETTLED_DELIVERY_STATES.includes(row.state);
      const delivery = settled ? row : await this.settle(run, message, row);
      if (deleting && delivery?.state === 'ingested' && (await this.markDeleted(run, message, delivery)))
        marked.push(delivery);
    }
    throwIfAborted(run.signal);
    const committed = await session.quit();
    if (committed) for (const delivery of marked) await this.deps.ledger.markPostActionDone(delivery.id);
    else if (marked.length > 0)
      this.deps.logger.warn('POP3 session ended before QUIT; the deletions are retried next cycle', {
        accountId: account.id,
        messages: marked.length,
      });
    await this.deps.ledger.prunePop3Deliveries(
      account.id,
      messages.map((message) => message.uidl),
      listedAt,
    );
    return counts;
  }

  /** One message whose UIDL is not settled; its row once settled, else null (pending, vanished, skipped). */
  private async settle(run: Pop3SyncRun, message: Pop3Message, row: Delivery | null): Promise<Delivery | null> {
    const outcome = await this.settlement.settle({
      account: run.account,
      location: pop3Location(run.account.id, message.uidl),
      label: `UIDL ${message.uidl} (POP3)`,
      listedSize: message.size,
      row,
      download: () => run.session.retrieve(message.number),
      receivedAt: null,
      stateAfterIngest: run.account.postFetch === 'delete' ? 'ingested' : 'post_action_done',
      advance: false,
      signal: run.signal,
      counts: run.counts,
      ...(run.leaseOwner === undefined ? {} : { leaseOwner: run.leaseOwner }),
    });
    if (outcome.kind === 'vanished')
      this.deps.logger.info('message vanished before download', { accountId: run.account.id, uidl: message.uidl });
    return outcome.kind === 'settled' ? outcome.delivery : null;
  }

  /** DELE for a message with a ticket; a refusal is remembered (retried next cycle), a lost connection ends the run. */
  private async markDeleted(run: Pop3SyncRun, message: Pop3Message, delivery: Delivery): Promise<boolean> {
    try {
      await run.session.delete(message.number);
      return true;
    } catch (error) {
      if (isPluginError(error) && error.code === 'ERR_MAIL_OPERATION_FAILED') {
        this.deps.logger.warn('post-fetch action refused; retrying next cycle', {
          accountId: run.account.id,
          uidl: delivery.uidl,
          code: error.code,
        });
        run.counts.postActionError = error;
        return false;
      }
      throw error;
    }
  }
}
