import { pop3Location, type DeliveryRecord, type MailLedger } from '../../plugin/ports/mail-ledger';
import { ManualClock } from '../helpers/manual-clock';
import { accountInput, appInput, type Repositories, type RepositoryContractTarget } from './repository-contract-target';

/** What one test works on: the ledger of fresh storage, two existing accounts and the clock behind them. */
interface LedgerTarget {
  readonly ledger: MailLedger;
  /** Two existing accounts. */
  readonly accounts: readonly [string, string];
  readonly clock: ManualClock;
  /** Turns a row into what the code before the content key rule wrote: its key of the legacy rule. */
  makeLegacy(deliveryId: string, legacyKey: string): Promise<void>;
  /** The rest of the same storage. */
  readonly repos: Repositories;
}

const MAX_UID = 4_294_967_295;

function record(accountId: string, uid: number, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const messageKey = (overrides.messageKey ?? `${uid}`.padStart(64, 'a')).slice(0, 64);
  return {
    accountId,
    folder: 'INBOX',
    uidValidity: '4294967295',
    uid,
    messageKey,
    dedupeKey: `${accountId}:${messageKey}`,
    size: 1234,
    state: 'ingested',
    ticketId: `t-${uid}`,
    ...overrides,
  };
}

/** The MailLedger contract: cursors, deliveries, the two written together, lookups by location and message key. */
export function mailLedgerContract(target: RepositoryContractTarget): void {
  describe('MailLedger contract', () => {
    let t: LedgerTarget;
    beforeEach(async () => {
      const clock = new ManualClock();
      const repos = await target.fresh(clock);
      const app = await repos.apps.create(appInput());
      const a = await repos.accounts.create(accountInput(app.id, { mailbox: 'a@x.test' }));
      const b = await repos.accounts.create(accountInput(app.id, { mailbox: 'b@x.test' }));
      t = {
        ledger: repos.ledger,
        accounts: [a.id, b.id],
        clock,
        repos,
        makeLegacy: (deliveryId, legacyKey) => target.makeLegacyDelivery(repos, deliveryId, legacyKey),
      };
    });

    it('keeps one cursor per account and folder, replaced on a UIDVALIDITY change', async () => {
      const [a, b] = t.accounts;
      expect(await t.ledger.getCursor(a, 'INBOX')).toBeNull();
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: '1', lastUid: 10 });
      await t.ledger.setCursor({ accountId: a, folder: 'Other', uidValidity: '1', lastUid: 3 });
      await t.ledger.setCursor({ accountId: b, folder: 'INBOX', uidValidity: '7', lastUid: 0 });
      expect(await t.ledger.getCursor(a, 'INBOX')).toMatchObject({
        accountId: a,
        folder: 'INBOX',
        uidValidity: '1',
        lastUid: 10,
        updatedAt: t.clock.now(),
      });
      t.clock.advance(1000);
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: String(MAX_UID), lastUid: 0 });
      expect(await t.ledger.getCursor(a, 'INBOX')).toMatchObject({
        uidValidity: String(MAX_UID),
        lastUid: 0,
        updatedAt: t.clock.now(),
      });
      expect(await t.ledger.getCursor(a, 'Other')).toMatchObject({ lastUid: 3 });
      expect(await t.ledger.getCursor(b, 'INBOX')).toMatchObject({ uidValidity: '7' });
    });

    it('advances the cursor only upwards and only under the same UIDVALIDITY', async () => {
      const [a] = t.accounts;
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: '5', lastUid: 10 });
      expect(await t.ledger.advanceCursor({ accountId: a, folder: 'INBOX', uidValidity: '5', uid: 12 })).toBe(true);
      expect(await t.ledger.advanceCursor({ accountId: a, folder: 'INBOX', uidValidity: '5', uid: 11 })).toBe(true);
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(12);
      expect(await t.ledger.advanceCursor({ accountId: a, folder: 'INBOX', uidValidity: '6', uid: 99 })).toBe(false);
      expect(await t.ledger.advanceCursor({ accountId: a, folder: 'Nope', uidValidity: '5', uid: 99 })).toBe(false);
      expect(await t.ledger.advanceCursor({ accountId: a, folder: 'INBOX', uidValidity: '5', uid: MAX_UID })).toBe(
        true,
      );
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(MAX_UID);
    });

    it('records a delivery and advances the cursor together; a second write to the same UID updates it and counts attempts', async () => {
      const [a] = t.accounts;
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', lastUid: 0 });
      const pending = await t.ledger.recordDelivery(
        record(a, 1, { state: 'pending', ticketId: null, lastError: 'host said no' }),
        { advanceCursor: false, countAttempt: true },
      );
      expect(pending).toMatchObject({
        accountId: a,
        folder: 'INBOX',
        uidValidity: '4294967295',
        uid: 1,
        state: 'pending',
        attempts: 1,
        ticketId: null,
        lastError: 'host said no',
        size: 1234,
      });
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(0);
      t.clock.advance(5000);
      const done = await t.ledger.recordDelivery(record(a, 1, { lastError: null }), {
        advanceCursor: true,
        countAttempt: true,
      });
      expect(done).toMatchObject({
        id: pending.id,
        state: 'ingested',
        attempts: 2,
        ticketId: 't-1',
        lastError: null,
        createdAt: pending.createdAt,
        updatedAt: t.clock.now(),
      });
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(1);
      const skipped = await t.ledger.recordDelivery(
        record(a, 2, { state: 'skipped', ticketId: null, lastError: 'too large' }),
        { advanceCursor: true, countAttempt: false },
      );
      expect(skipped).toMatchObject({ state: 'skipped', attempts: 0 });
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(2);
      expect(
        await t.ledger.findDelivery({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', uid: 2 }),
      ).toMatchObject({ id: skipped.id, lastError: 'too large' });
      expect(await t.ledger.findDelivery({ accountId: a, folder: 'INBOX', uidValidity: '1', uid: 2 })).toBeNull();
    });

    it('keeps the ticket id when a later write gives none, and marks the post-fetch action done only from ingested', async () => {
      const [a] = t.accounts;
      const first = await t.ledger.recordDelivery(record(a, 3), { advanceCursor: false, countAttempt: true });
      const again = await t.ledger.recordDelivery(record(a, 3, { ticketId: undefined }), {
        advanceCursor: false,
        countAttempt: false,
      });
      expect(again).toMatchObject({ ticketId: 't-3', attempts: 1 });
      await t.ledger.markPostActionDone(first.id);
      expect((await t.ledger.findDelivery(first))?.state).toBe('post_action_done');
      const quarantined = await t.ledger.recordDelivery(record(a, 4, { state: 'quarantined', ticketId: null }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.ledger.markPostActionDone(quarantined.id);
      expect((await t.ledger.findDelivery(quarantined))?.state).toBe('quarantined');
      await t.ledger.markPostActionDone('999999');
    });

    it('lists deliveries of one folder and UIDVALIDITY by UID, filtered by start UID and state', async () => {
      const [a, b] = t.accounts;
      await t.ledger.recordDelivery(record(a, 30, { state: 'ingested' }), { advanceCursor: false, countAttempt: true });
      await t.ledger.recordDelivery(record(a, 10, { state: 'post_action_done' }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.ledger.recordDelivery(record(a, 20, { state: 'pending', ticketId: null }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.ledger.recordDelivery(record(a, 40, { folder: 'Other' }), { advanceCursor: false, countAttempt: true });
      await t.ledger.recordDelivery(record(a, 50, { uidValidity: '9' }), { advanceCursor: false, countAttempt: true });
      await t.ledger.recordDelivery(record(b, 60), { advanceCursor: false, countAttempt: true });
      const base = { accountId: a, folder: 'INBOX', uidValidity: '4294967295' };
      expect((await t.ledger.listDeliveries(base)).map((d) => d.uid)).toEqual([10, 20, 30]);
      expect((await t.ledger.listDeliveries({ ...base, fromUid: 20 })).map((d) => d.uid)).toEqual([20, 30]);
      expect((await t.ledger.listDeliveries({ ...base, states: ['ingested', 'pending'] })).map((d) => d.uid)).toEqual([
        20, 30,
      ]);
      expect(await t.ledger.listDeliveries({ ...base, accountId: '999999' })).toEqual([]);
    });

    it('finds an ingested delivery by message key across folders and UIDVALIDITY, never a pending or skipped one', async () => {
      const [a, b] = t.accounts;
      const key = 'f'.repeat(64);
      await t.ledger.recordDelivery(record(a, 1, { messageKey: key, state: 'pending', ticketId: null }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.ledger.recordDelivery(record(a, 2, { messageKey: key, state: 'skipped', ticketId: null }), {
        advanceCursor: false,
        countAttempt: false,
      });
      expect(await t.ledger.findIngestedByMessageKey(a, key)).toBeNull();
      await t.ledger.recordDelivery(
        record(a, 7, { messageKey: key, uidValidity: '1', folder: 'Archive', ticketId: 't-42' }),
        { advanceCursor: false, countAttempt: true },
      );
      expect(await t.ledger.findIngestedByMessageKey(a, key)).toMatchObject({
        uid: 7,
        folder: 'Archive',
        ticketId: 't-42',
        messageKey: key,
      });
      expect(await t.ledger.findIngestedByMessageKey(b, key)).toBeNull();
    });

    it('keeps the key rules apart: a legacy row is found only by its legacy key and only for a message received before it was written', async () => {
      const [a, b] = t.accounts;
      const legacyKey = 'c'.repeat(64);
      const writtenAt = t.clock.now();
      const row = await t.ledger.recordDelivery(record(a, 3, { ticketId: 't-old' }), {
        advanceCursor: false,
        countAttempt: true,
      });
      expect(row.messageKeyRule).toBe('content');
      await t.ledger.recordDelivery(record(a, 4, { messageKey: legacyKey, ticketId: 't-new' }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.makeLegacy(row.id, legacyKey);
      expect(await t.ledger.findIngestedByMessageKey(a, legacyKey)).toMatchObject({
        uid: 4,
        messageKeyRule: 'content',
      });
      expect(await t.ledger.findIngestedByLegacyKey(a, legacyKey, writtenAt - 1)).toMatchObject({
        uid: 3,
        ticketId: 't-old',
        messageKeyRule: 'legacy',
        messageKey: legacyKey,
      });
      expect(await t.ledger.findIngestedByLegacyKey(a, legacyKey, writtenAt)).toBeNull();
      expect(await t.ledger.findIngestedByLegacyKey(b, legacyKey, 0)).toBeNull();
      expect(await t.ledger.findIngestedByMessageKey(a, record(a, 3).messageKey)).toBeNull();
    });

    it('finds many at once as the single lookups do: content first, a legacy row only for a miss and an earlier arrival', async () => {
      const [a, b] = t.accounts;
      const legacyKey = 'c'.repeat(64);
      const writtenAt = t.clock.now();
      const old = await t.ledger.recordDelivery(record(a, 3, { ticketId: 't-old' }), {
        advanceCursor: false,
        countAttempt: true,
      });
      await t.makeLegacy(old.id, legacyKey);
      await t.ledger.recordDelivery(record(a, 5, { ticketId: 't-5' }), { advanceCursor: false, countAttempt: true });
      await t.ledger.recordDelivery(record(a, 6, { state: 'pending', ticketId: null }), {
        advanceCursor: false,
        countAttempt: true,
      });
      const key = (uid: number) => record(a, uid).messageKey;
      const found = await t.ledger.findIngestedMany(a, [
        { messageKey: key(5) },
        { messageKey: key(6) },
        { messageKey: key(9), legacy: { legacyKey, receivedAt: writtenAt - 1 } },
        { messageKey: key(9), legacy: { legacyKey, receivedAt: writtenAt } },
        { messageKey: key(5), legacy: { legacyKey, receivedAt: writtenAt - 1 } },
        { messageKey: key(8) },
      ]);
      expect(found.map((d) => d && [d.uid, d.ticketId, d.messageKeyRule])).toEqual([
        [5, 't-5', 'content'],
        null,
        [3, 't-old', 'legacy'],
        null,
        [5, 't-5', 'content'],
        null,
      ]);
      expect(await t.ledger.findIngestedMany(b, [{ messageKey: key(5) }])).toEqual([null]);
      expect(await t.ledger.findIngestedMany(a, [])).toEqual([]);
    });

    it('counts a message handed to the host on its account, in the same write, once per location', async () => {
      const [a, b] = t.accounts;
      const fetched = async (id: string) => (await t.repos.accounts.find(id))?.messagesFetched;
      await t.ledger.recordDelivery(record(a, 1, { state: 'pending', ticketId: null }), {
        advanceCursor: false,
        countAttempt: true,
      });
      expect(await fetched(a)).toBe(0);
      await t.ledger.recordDelivery(record(a, 1), { advanceCursor: false, countAttempt: true, countFetched: true });
      await t.ledger.recordDelivery(record(a, 2, { state: 'post_action_done' }), {
        advanceCursor: false,
        countAttempt: true,
        countFetched: true,
      });
      expect(await fetched(a)).toBe(2);
      // The same location written again (a retried post-fetch action, a second writer): not counted twice.
      await t.ledger.recordDelivery(record(a, 1, { state: 'post_action_done' }), {
        advanceCursor: false,
        countAttempt: false,
        countFetched: true,
      });
      // A ticket reused by message key (the host was not called) is written without countFetched.
      await t.ledger.recordDelivery(record(a, 3, { ticketId: 't-1' }), { advanceCursor: false, countAttempt: true });
      expect(await fetched(a)).toBe(2);
      expect(await fetched(b)).toBe(0);
    });

    it('writes under a lease only while its owner holds it: otherwise nothing at all, ERR_LEASE_LOST', async () => {
      const [a] = t.accounts;
      const now = t.clock.now();
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', lastUid: 0 });
      expect(await t.repos.accounts.acquireLease(a, 'proc-a', now + 60_000, now)).toBe(true);
      await t.ledger.recordDelivery(record(a, 1), {
        advanceCursor: true,
        countAttempt: true,
        countFetched: true,
        leaseOwner: 'proc-a',
      });
      expect(await t.repos.accounts.acquireLease(a, 'proc-b', now + 200_000, now + 60_001)).toBe(true);
      await expect(
        t.ledger.recordDelivery(record(a, 2), {
          advanceCursor: true,
          countAttempt: true,
          countFetched: true,
          leaseOwner: 'proc-a',
        }),
      ).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
      expect(
        await t.ledger.findDelivery({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', uid: 2 }),
      ).toBeNull();
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(1);
      expect(await t.repos.accounts.find(a)).toMatchObject({
        messagesFetched: 1,
        lease: { owner: 'proc-b', until: now + 200_000 },
      });
      await t.repos.accounts.releaseLease(a, 'proc-b');
      await expect(
        t.ledger.recordDelivery(record(a, 2), { advanceCursor: true, countAttempt: true, leaseOwner: 'proc-a' }),
      ).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
      await expect(
        t.ledger.recordDelivery(record('999999', 1), { advanceCursor: false, countAttempt: true, leaseOwner: 'x' }),
      ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    });
    it('writes a batch of deliveries and the cursor in one transaction: all or nothing, counted once per location', async () => {
      const [a] = t.accounts;
      const now = t.clock.now();
      const at = (uid: number) => ({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', uid });
      await t.ledger.setCursor({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', lastUid: 0 });
      await t.ledger.recordDelivery(record(a, 2, { state: 'pending', ticketId: null, lastError: 'no' }), {
        advanceCursor: false,
        countAttempt: true,
      });
      expect(await t.repos.accounts.acquireLease(a, 'proc-a', now + 60_000, now)).toBe(true);
      const stored = await t.ledger.recordDeliveries({
        deliveries: [
          { record: record(a, 1), countAttempt: true, countFetched: true },
          { record: record(a, 2), countAttempt: true, countFetched: true },
          { record: record(a, 3, { state: 'skipped', ticketId: null }), countAttempt: false },
        ],
        cursor: at(3),
        leaseOwner: 'proc-a',
      });
      expect(stored.map((d) => [d.uid, d.state, d.attempts, d.ticketId])).toEqual([
        [1, 'ingested', 1, 't-1'],
        [2, 'ingested', 2, 't-2'],
        [3, 'skipped', 0, null],
      ]);
      expect(await t.ledger.findDelivery(at(2))).toMatchObject({ id: stored[1]!.id, state: 'ingested', attempts: 2 });
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(3);
      expect(await t.repos.accounts.find(a)).toMatchObject({ messagesFetched: 2 });
      // Written again (a crash after the write, before the post-fetch action): not counted twice; the cursor stays up.
      await t.ledger.recordDeliveries({
        deliveries: [{ record: record(a, 1), countAttempt: true, countFetched: true }],
        cursor: at(1),
        leaseOwner: 'proc-a',
      });
      expect(await t.repos.accounts.find(a)).toMatchObject({ messagesFetched: 2 });
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(3);
      await t.ledger.markPostActionsDone([stored[0]!.id, stored[1]!.id, stored[2]!.id, '424242']);
      expect((await t.ledger.listDeliveries({ ...at(1), fromUid: 1 })).map((d) => d.state)).toEqual([
        'post_action_done',
        'post_action_done',
        'skipped',
      ]);
      // The lease taken over: nothing of the batch is written, the cursor does not move.
      expect(await t.repos.accounts.acquireLease(a, 'proc-b', now + 200_000, now + 60_001)).toBe(true);
      await expect(
        t.ledger.recordDeliveries({
          deliveries: [
            { record: record(a, 4), countAttempt: true, countFetched: true },
            { record: record(a, 5), countAttempt: true, countFetched: true },
          ],
          cursor: at(5),
          leaseOwner: 'proc-a',
        }),
      ).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
      expect(await t.ledger.findDelivery(at(4))).toBeNull();
      expect((await t.ledger.getCursor(a, 'INBOX'))?.lastUid).toBe(3);
      expect(await t.repos.accounts.find(a)).toMatchObject({ messagesFetched: 2 });
      await expect(
        t.ledger.recordDeliveries({
          deliveries: [{ record: record('999999', 1), countAttempt: true }],
          cursor: null,
        }),
      ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    });

    it('POP3 rows by UIDL: apart from IMAP rows, counted once, pruned once their UIDL left', async () => {
      const [a, b] = t.accounts;
      const uidl = (n: number) => `000000${n}-${'u'.repeat(50)}`;
      const pop3 = (accountId: string, n: number, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
        ...record(accountId, 0, { messageKey: `${n}`.padStart(64, 'p'), ticketId: `p-${n}` }),
        ...pop3Location(accountId, uidl(n)),
        ...overrides,
      });
      const write = { advanceCursor: false, countAttempt: true, countFetched: true };
      await t.ledger.recordDelivery(record(a, 1), { advanceCursor: false, countAttempt: true });
      for (const n of [1, 2, 3]) await t.ledger.recordDelivery(pop3(a, n), write);
      await t.ledger.recordDelivery(pop3(b, 1), write);
      // The same UIDL again is the same row: one more attempt, not one more message.
      const again = await t.ledger.recordDelivery(pop3(a, 2, { state: 'post_action_done' }), write);
      expect(again).toMatchObject({ uidl: uidl(2), attempts: 2, state: 'post_action_done', ticketId: 'p-2' });
      expect(await t.repos.accounts.find(a)).toMatchObject({ messagesFetched: 3 });
      const listed = await t.ledger.listDeliveries({ accountId: a, folder: '', uidValidity: '' });
      expect(listed.map((d) => d.uidl).sort()).toEqual([uidl(1), uidl(2), uidl(3)]);
      expect(await t.ledger.findDelivery(pop3Location(a, uidl(3)))).toMatchObject({ ticketId: 'p-3', uid: 0 });
      expect(await t.ledger.findDelivery(pop3Location(a, 'other'))).toBeNull();
      expect((await t.ledger.findIngestedByMessageKey(a, `${1}`.padStart(64, 'p')))?.uidl).toBe(uidl(1));
      const imap = await t.ledger.findDelivery({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', uid: 1 });
      expect(imap?.uidl ?? '').toBe('');
      // Rows written at or after the listing are never pruned by it (a process that lost the lease listed earlier).
      expect(await t.ledger.prunePop3Deliveries(a, [], t.clock.now())).toBe(0);
      t.clock.advance(1);
      expect(await t.ledger.prunePop3Deliveries(a, [uidl(2), 'never-recorded'], t.clock.now())).toBe(2);
      const left = await t.ledger.listDeliveries({ accountId: a, folder: '', uidValidity: '' });
      expect(left.map((d) => d.uidl)).toEqual([uidl(2)]);
      // Other accounts and IMAP rows are never pruned.
      expect(await t.ledger.findDelivery(pop3Location(b, uidl(1)))).not.toBeNull();
      expect(
        await t.ledger.findDelivery({ accountId: a, folder: 'INBOX', uidValidity: '4294967295', uid: 1 }),
      ).not.toBeNull();
      expect(await t.ledger.prunePop3Deliveries(a, [], t.clock.now())).toBe(1);
    });
  });
}
