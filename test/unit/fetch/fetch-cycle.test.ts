import { PluginError } from '../../../plugin/errors';
import { accountIncidentKey } from '../../../plugin/oauth/account-incidents';
import { appIncidentKey } from '../../../plugin/oauth/app-incidents';
import { FetchCycle } from '../../../plugin/fetch/fetch-cycle';
import { legacyMessageKey } from '../../../plugin/fetch/message-key';
import type { Delivery } from '../../../plugin/ports/mail-ledger';
import { harness, mail } from './harness';

describe('fetch cycle (fakes)', () => {
  it('makes one ticket per message, in UID order, applies mark_seen, and a second cycle ingests nothing', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 7; i++) folder.add(mail(i));
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 7, skipped: 0, failed: 0, status: 'connected' });
    // batches of 3 UIDs: 3 + 3 + 1, then an empty one
    expect(h.server.listCalls).toBe(4);
    expect([...h.host.tickets.values()].map((t) => t.raw.toString())).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((i) => mail(i).toString()),
    );
    expect([...folder.messages.values()].every((m) => m.seen)).toBe(true);
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ uidValidity: '1000', lastUid: 7 });
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(Array(7).fill('post_action_done'));
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0, duplicates: 0 });
    expect(h.host.calls).toBe(7);
  });

  it('initial sync unseen takes only unseen messages; new_only starts at UIDNEXT', async () => {
    const h = harness();
    const unseen = await h.addAccount({ initialSync: 'unseen', postFetch: 'keep' });
    const newOnly = await h.addAccount({ initialSync: 'new_only' });
    const a = h.server.folder(unseen.mailbox);
    a.add(mail(1), { seen: true });
    a.add(mail(2));
    a.add(mail(3), { seen: true });
    a.add(mail(4));
    const b = h.server.folder(newOnly.mailbox);
    b.add(mail(11));
    b.add(mail(12));
    const results = await h.poll();
    expect(results.find((r) => r.accountId === unseen.id)).toMatchObject({ fetched: 2 });
    expect(results.find((r) => r.accountId === newOnly.id)).toMatchObject({ fetched: 0 });
    expect(await h.ledger.getCursor(unseen.id, 'INBOX')).toMatchObject({ lastUid: 4 });
    expect(await h.ledger.getCursor(newOnly.id, 'INBOX')).toMatchObject({ lastUid: 2 });
    b.add(mail(13));
    a.add(mail(5), { seen: true });
    const next = await h.poll();
    expect(next.find((r) => r.accountId === newOnly.id)).toMatchObject({ fetched: 1 });
    // after the initial sync every new message counts, seen or not
    expect(next.find((r) => r.accountId === unseen.id)).toMatchObject({ fetched: 1 });
    const subjects = [...h.host.tickets.values()].map((t) => /Subject: (.*)\r/.exec(t.raw.toString())?.[1]);
    expect(subjects.sort()).toEqual(['message 13', 'message 2', 'message 4', 'message 5']);
  });

  it('retries a rejected message next cycle, quarantines it after N tries with ONE notification, and never blocks the mailbox', async () => {
    const h = harness({ quarantineAfter: 3 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    folder.add(mail(1));
    const poison = folder.add(mail(2, 'poison'));
    folder.add(mail(3));
    h.host.reject = (m) => (m.raw.includes('poison') ? new Error('ticket rule exploded') : null);
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 2, failed: 1, quarantined: 0, status: 'connected' });
    // the cursor waits at the poison message; the message after it is already a ticket
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 1 });
    expect(folder.messages.get(poison)?.seen).toBe(false);
    const [second] = await h.poll();
    expect(second).toMatchObject({ fetched: 0, failed: 1, quarantined: 0 });
    folder.add(mail(4));
    const [third] = await h.poll();
    expect(third).toMatchObject({ fetched: 1, failed: 1, quarantined: 1 });
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 4 });
    const row = await h.ledger.findDelivery({
      accountId: account.id,
      folder: 'INBOX',
      uidValidity: '1000',
      uid: poison,
    });
    expect(row).toMatchObject({ state: 'quarantined', attempts: 3, lastError: 'ticket rule exploded' });
    expect(folder.messages.get(poison)?.seen).toBe(false);
    await h.poll();
    expect(h.notify.sent.filter((n) => n.title.includes('quarantined'))).toHaveLength(1);
    expect(h.events.events.filter((e) => e.type === 'message_quarantined')).toHaveLength(1);
    expect(h.host.tickets.size).toBe(3);
  });

  it("a host's database error reaches neither the log, the ledger nor the notification with its SQL or an address", async () => {
    const h = harness({ quarantineAfter: 1 });
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    h.host.reject = () =>
      Object.assign(
        new Error("insert into `host_tickets` (`from_address`) values ('customer@example.org') - UNIQUE constraint"),
        { code: 'SQLITE_CONSTRAINT' },
      );
    const [result] = await h.poll();
    expect(result).toMatchObject({ quarantined: 1 });
    const [row] = await h.ledger.listDeliveries({ accountId: account.id, folder: 'INBOX', uidValidity: '1000' });
    const [note] = h.notify.sent.filter((n) => n.title.includes('quarantined'));
    const everything = JSON.stringify({ lastError: row?.lastError, note, log: h.logger.lines });
    expect(row?.lastError).toContain('SQLITE_CONSTRAINT');
    expect(everything).not.toContain('customer@example.org');
    expect(everything).not.toMatch(/insert into/i);
  });

  it('leaves a message over the size limit on the server, records it as skipped and reports it once', async () => {
    const h = harness({ maxMessageBytes: 2048 });
    const account = await h.addAccount({ initialSync: 'all', postFetch: 'delete' });
    const folder = h.server.folder(account.mailbox);
    folder.add(mail(1));
    const big = folder.add(mail(2, 'x'.repeat(5000)));
    folder.add(mail(3));
    const [result] = await h.poll();
    expect(result).toMatchObject({ fetched: 2, skipped: 1, failed: 0 });
    expect([...folder.messages.keys()]).toEqual([big]);
    expect(
      await h.ledger.findDelivery({ accountId: account.id, folder: 'INBOX', uidValidity: '1000', uid: big }),
    ).toMatchObject({ state: 'skipped' });
    await h.poll();
    expect(h.notify.sent.filter((n) => n.title.includes('too large'))).toHaveLength(1);
    expect(
      h.events.events.filter((e) => e.type === 'message_skipped' && e.code === 'ERR_MESSAGE_TOO_LARGE'),
    ).toHaveLength(1);
  });

  it('rescans after a UIDVALIDITY change and dedupes by message key', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all', postFetch: 'keep' });
    const folder = h.server.folder(account.mailbox);
    folder.add(mail(1));
    folder.add(mail(2));
    await h.poll();
    folder.recreate();
    folder.add(mail(2));
    folder.add(mail(1));
    folder.add(mail(3));
    const [result] = await h.poll();
    expect(result).toMatchObject({ fetched: 1, duplicates: 2 });
    expect(h.host.tickets.size).toBe(3);
    expect(h.host.calls).toBe(3);
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ uidValidity: '1001', lastUid: 3 });
  });

  it('recognises rows of the legacy key rule after a UIDVALIDITY change, but never a twin received after them', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all', postFetch: 'keep' });
    const folder = h.server.folder(account.mailbox);
    folder.add(mail(1));
    folder.add(mail(2));
    await h.poll();
    // What the code before the content rule wrote: the legacy key, after the messages had arrived.
    const writtenAt = Date.UTC(2026, 0, 2, 0, 0, 0, 300);
    // The store's own rows (the ledger hands out a read-only view), as an upgrade finds them.
    const rows = h.ledger.deliveries as Delivery[];
    rows.forEach((row, index) => {
      const legacy = legacyMessageKey(mail(row.uid));
      rows[index] = { ...row, messageKey: legacy, messageKeyRule: 'legacy', createdAt: writtenAt };
    });
    folder.recreate();
    folder.add(mail(2));
    folder.add(mail(1));
    // Same Message-ID, Date and size as message 1, another body, received after the legacy row was written.
    const twin = folder.add(Buffer.from(mail(1).toString().replace('Body 1', 'Evil 1')));
    // INTERNALDATE names the second the row was written in: the twin may have arrived after it, so it is no match.
    folder.messages.get(twin)!.internalDate = new Date(Date.UTC(2026, 0, 2));
    expect(legacyMessageKey(folder.messages.get(twin)!.raw)).toBe(legacyMessageKey(mail(1)));
    const [result] = await h.poll();
    expect(result).toMatchObject({ fetched: 1, duplicates: 2 });
    expect(h.host.calls).toBe(3);
    expect(
      [...h.host.tickets.values()].map((t) => t.raw.toString()).filter((raw) => raw.includes('Evil 1')),
    ).toHaveLength(1);
  });

  it('a crash between ingest and the ledger write re-ingests only that group, which the host dedupes', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    h.ledger.failNextRecord = new PluginError('ERR_DATABASE_UNAVAILABLE', 'database went away');
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'failed', status: 'retrying', error: { code: 'ERR_DATABASE_UNAVAILABLE' } });
    // The group of UIDs 1-3 (batchSize 3) reached the host but not the ledger; 4 was never looked at.
    expect(h.host.tickets.size).toBe(3);
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 1, duplicates: 3, status: 'connected' });
    expect(h.host.tickets.size).toBe(4);
    expect(await h.accounts.find(account.id)).toMatchObject({ messagesFetched: 4 });
  });

  it('refreshes the token once and reconnects when the server ends the session for an expired token', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 5; i++) folder.add(mail(i));
    let expired = false;
    h.server.faults.download = (uid, session) => {
      if (uid === 3 && !expired) {
        expired = true;
        session.dead = new PluginError('ERR_MAIL_TOKEN_EXPIRED', 'BYE Session invalidated - AccessTokenExpired');
        return session.dead;
      }
      return null;
    };
    const [result] = await h.poll();
    expect(result).toMatchObject({ outcome: 'polled', fetched: 5, status: 'connected' });
    expect(h.tokens.refreshes).toBe(1);
    expect(h.server.connects).toBe(2);
    expect(h.host.tickets.size).toBe(5);
  });

  it('refreshes once when the server refuses a stored token; a fresh token refused too -> needs_reauth, one notification, then recovery', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    h.server.acceptedTokens.clear();
    h.server.acceptedTokens.add('token-2');
    const [ok] = await h.poll();
    expect(ok).toMatchObject({ outcome: 'polled', fetched: 1 });
    expect(h.tokens.calls.map((c) => c.forceRefresh)).toEqual([false, true]);

    h.server.acceptedTokens.clear();
    h.tokens.autoAccept = false;
    const [bad] = await h.poll();
    expect(bad).toMatchObject({ outcome: 'failed', status: 'needs_reauth', error: { code: 'ERR_MAIL_AUTH_FAILED' } });
    await h.poll();
    await h.poll();
    const key = accountIncidentKey(account.id, 'ERR_MAIL_AUTH_FAILED');
    expect(h.notify.sent.filter((n) => n.key === key)).toHaveLength(1);
    expect((await h.accounts.find(account.id))?.failureCount).toBe(3);

    h.server.acceptedTokens.add(h.tokens.current());
    const [back] = await h.poll();
    expect(back).toMatchObject({ outcome: 'polled', status: 'connected' });
    expect(h.notify.resolved).toContain(key);
    expect(h.notify.open.has(key)).toBe(false);
    expect(await h.accounts.find(account.id)).toMatchObject({
      status: 'connected',
      statusCode: null,
      statusDetail: `Signed in as ${account.mailbox}.`,
      failureCount: 0,
    });
  });

  it('backs off exponentially on failures and polls on the interval after success', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all', pollIntervalSeconds: 60 });
    h.server.faults.connect = () => new PluginError('ERR_MAIL_UNAVAILABLE', 'connect ECONNREFUSED');
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await h.poll();
      const row = await h.accounts.find(account.id);
      delays.push((row?.nextPollAt ?? 0) - h.clock.now());
    }
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);
    expect(delays[0]).toBeGreaterThanOrEqual(60_000);
    h.server.faults.connect = undefined;
    await h.poll();
    expect((await h.accounts.find(account.id))?.nextPollAt).toBe(h.clock.now() + 60_000);
  });

  it('one failing account never stops the others, and at most `concurrency` accounts are polled at once', async () => {
    const h = harness({ concurrency: 2 });
    const dead = await h.addAccount({ mailbox: 'dead@example.test' });
    const down = await h.addAccount({ mailbox: 'down@example.test' });
    const healthy = await Promise.all(
      [1, 2, 3].map((i) => h.addAccount({ mailbox: `ok${i}@example.test`, initialSync: 'all' })),
    );
    for (const account of healthy) h.server.folder(account.mailbox).add(mail(Number(account.id)));
    const realGet = h.tokens.getAccessToken.bind(h.tokens);
    h.tokens.getAccessToken = async (id, options) => {
      if (id === dead.id) throw new PluginError('ERR_GRANT_INVALID', 'invalid_grant');
      return realGet(id, options);
    };
    h.server.faults.connect = (options) =>
      options.user === down.mailbox ? new PluginError('ERR_MAIL_UNAVAILABLE', 'connect ECONNREFUSED') : null;
    const results = await h.poll();
    expect(results.find((r) => r.accountId === dead.id)).toMatchObject({
      outcome: 'failed',
      status: 'needs_reauth',
      error: { code: 'ERR_GRANT_INVALID' },
    });
    expect(results.find((r) => r.accountId === down.id)).toMatchObject({
      outcome: 'failed',
      status: 'retrying',
      error: { code: 'ERR_MAIL_UNAVAILABLE' },
    });
    for (const account of healthy)
      expect(results.find((r) => r.accountId === account.id)).toMatchObject({ outcome: 'polled', fetched: 1 });
    expect(h.server.maxOpenSessions).toBeLessThanOrEqual(2);
  });

  it('an app-level error is one incident of the app: one notification, the accounts that poll say why, a good poll alone does not end it', async () => {
    const h = harness();
    const a = await h.addAccount({ initialSync: 'all' });
    const b = await h.addAccount({ initialSync: 'all' });
    const never = await h.accounts.create({
      appId: a.appId,
      mailbox: 'never@example.test',
      host: 'imap.example.test',
      port: 993,
      tls: 'implicit',
    });
    h.tokens.failure = new PluginError('ERR_CLIENT_INVALID', 'AADSTS7000215: Invalid client secret provided.');
    const failed = await h.poll();
    expect(failed.map((r) => r.status)).toEqual(['app_error', 'app_error']);
    expect(h.notify.sent.map((n) => n.key)).toEqual([appIncidentKey(a.appId, 'ERR_CLIENT_INVALID')]);
    for (const account of [a, b])
      expect(await h.accounts.find(account.id)).toMatchObject({
        status: 'app_error',
        statusCode: 'ERR_CLIENT_INVALID',
      });
    expect(await h.accounts.find(never.id)).toEqual(never);

    // The mail server still takes the (fake) access tokens: the polls work, but the app stays refused until a token
    // request of it succeeds (the token service closes the incident then).
    h.tokens.failure = null;
    h.server.folder(a.mailbox).add(mail(1));
    const [polled] = await h.poll(a.id);
    expect(polled).toMatchObject({ outcome: 'polled', fetched: 1, status: 'app_error' });
    expect(h.notify.open.size).toBe(1);
  });

  it('skips an account leased by another process and reports it busy', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    h.clock.advance(24 * 3600_000);
    expect(
      await h.accounts.acquireLease(account.id, 'other-process', h.clock.now() + 24 * 3600_000 + 60_000, h.clock.now()),
    ).toBe(true);
    const [result] = await h.poll();
    expect(result).toMatchObject({ outcome: 'busy', fetched: 0 });
    expect(h.host.calls).toBe(0);
  });

  it('stops an account that exceeds its timeout with ERR_TIMEOUT and keeps what it fetched', async () => {
    const h = harness({ accountTimeoutSeconds: 0.2 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 4; i++) folder.add(mail(i));
    // 1-3 are the first group (batchSize 3); 4 takes too long.
    h.server.faults.downloadDelayMs = (uid) => (uid === 4 ? 1000 : 0);
    const [result] = await h.poll();
    expect(result.error?.code).toBe('ERR_TIMEOUT');
    expect(result).toMatchObject({ outcome: 'failed', fetched: 3, status: 'retrying' });
    expect(await h.ledger.getCursor(account.id, 'INBOX')).toMatchObject({ lastUid: 3 });
  });

  it('honours the shutdown signal: the poll stops, the status is untouched, the lease released', async () => {
    // One message per group: the stop comes while the second group downloads, after the first was settled.
    const h = harness({ batchSize: 1 });
    const account = await h.addAccount({ initialSync: 'all' });
    const folder = h.server.folder(account.mailbox);
    for (let i = 1; i <= 5; i++) folder.add(mail(i));
    const controller = new AbortController();
    h.server.faults.download = (uid) => {
      if (uid === 2) controller.abort();
      return null;
    };
    h.clock.advance(24 * 3600_000);
    const [result] = await h.cycle.run({ signal: controller.signal });
    expect(result).toMatchObject({ outcome: 'aborted', status: 'connected' });
    expect(h.host.tickets.size).toBe(1);
    // what was fetched before the stop is counted; the account is due again at once, no failure recorded
    expect(await h.accounts.find(account.id)).toMatchObject({
      messagesFetched: h.host.tickets.size,
      failureCount: 0,
      nextPollAt: h.clock.now(),
    });
    expect(await h.accounts.acquireLease(account.id, 'another', h.clock.now() + 1000, h.clock.now())).toBe(true);
  });

  it('moves and deletes after ingest; a refused action leaves the row ingested and is retried next cycle', async () => {
    const h = harness();
    const mover = await h.addAccount({ initialSync: 'all', postFetch: 'move:Done' });
    const source = h.server.folder(mover.mailbox);
    const target = h.server.folder(mover.mailbox, 'Done');
    source.add(mail(1));
    source.add(mail(2));
    let refuse = true;
    h.server.faults.move = (uid) =>
      refuse && uid === 2 ? new PluginError('ERR_MAIL_OPERATION_FAILED', 'move refused') : null;
    const [first] = await h.poll();
    expect(first).toMatchObject({ outcome: 'polled', fetched: 2, error: { code: 'ERR_MAIL_OPERATION_FAILED' } });
    expect(target.messages.size).toBe(1);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(['post_action_done', 'ingested']);
    expect(h.notify.open.size).toBe(1);
    refuse = false;
    const [second] = await h.poll();
    expect(second).toMatchObject({ outcome: 'polled', fetched: 0 });
    expect(second.error).toBeUndefined();
    expect(source.messages.size).toBe(0);
    expect(target.messages.size).toBe(2);
    expect(h.ledger.deliveries.map((d) => d.state)).toEqual(['post_action_done', 'post_action_done']);
    expect(h.notify.open.size).toBe(0);
    expect(h.host.tickets.size).toBe(2);
  });

  it('polls a named account even when it is not due, and refuses unknown or disabled ones', async () => {
    const h = harness();
    const account = await h.addAccount({ initialSync: 'all' });
    h.server.folder(account.mailbox).add(mail(1));
    await h.poll();
    h.server.folder(account.mailbox).add(mail(2));
    const [result] = await h.cycle.run({ signal: new AbortController().signal, accountId: account.id });
    expect(result).toMatchObject({ fetched: 1 });
    await expect(h.cycle.run({ signal: new AbortController().signal, accountId: '999' })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    const off = await h.addAccount({ enabled: false });
    await expect(h.cycle.run({ signal: new AbortController().signal, accountId: off.id })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });
});

describe('fetch cycle keep-alive hook', () => {
  it('runs before a scheduled cycle at most once per interval, never for a single-account poll, and survives its failure', async () => {
    const h = harness();
    await h.addAccount();
    let calls = 0;
    const cycle = new FetchCycle({
      accounts: h.accounts,
      poller: {
        poll: async (account) => ({
          accountId: account.id,
          mailbox: account.mailbox,
          outcome: 'polled',
          fetched: 0,
          duplicates: 0,
          skipped: 0,
          failed: 0,
          quarantined: 0,
          status: 'connected',
        }),
      },
      logger: h.logger,
      clock: h.clock,
      settings: h.settings,
      ownerId: 'p',
      beforeCycleEveryMs: 60_000,
      beforeCycle: async () => {
        calls += 1;
        throw new Error('provider down');
      },
    });
    const signal = new AbortController().signal;
    expect(await cycle.run({ signal })).toHaveLength(1);
    await cycle.run({ signal, includeNotDue: true });
    expect(calls).toBe(1);
    h.clock.advance(60_000);
    await cycle.run({ signal, accountId: '1' });
    expect(calls).toBe(1);
    await cycle.run({ signal, includeNotDue: true });
    expect(calls).toBe(2);
  });
});
