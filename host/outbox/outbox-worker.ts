/**
 * The outbox worker (docs/architecture.md#outbox): claims due rows with a lease, sends each through its transport
 * with the Message-ID fixed at commit, and records the outcome: `sent` with the server's answer; a retryable
 * failure back to `queued` with backoff until the attempts run out; anything else `failed` with its code. It runs
 * on the host scheduler and is kicked right after a commit; one drain at a time per worker.
 */
import { hostname } from 'node:os';
import { ERROR_CODES, PluginError, toPluginError } from '../../plugin/index';
import type { LoggerPort, MailTransport, OutboundMessage, ScheduledTask, SendResult } from '../../plugin/index';
import type { ContributionRegistry } from '../contribution-registry';
import type { OutboxDraft, OutboxEntry } from './outbox-entry';
import type { AttemptError, ClaimFrom, OutboxCandidate, OutboxLease, OutboxStore } from './outbox-store';
import { isDeadLocalOwner, newLeaseOwner, processRuns } from './lease-owner';
import { DEFAULT_RETRY_POLICY, retryDelayMs, shouldRetry, type RetryPolicy } from './retry-policy';

/** The id of the host's own scheduled task. */
export const OUTBOX_TASK_ID = 'host.outbox';

/** Options of {@link OutboxWorker}; every one has a default. */
export interface OutboxWorkerOptions {
  /** Clock, epoch ms. */
  readonly now?: () => number;
  /** A number in [0, 1) for the backoff's jitter. */
  readonly random?: () => number;
  /** This worker's lease owner id; default `<host name>:<pid>:<random>`. */
  readonly ownerId?: string;
  /** This machine's name as lease owner ids carry it. */
  readonly hostName?: string;
  /** Whether a pid of this machine runs (dead owners' leases are reclaimed at once). */
  readonly processRuns?: (pid: number) => boolean;
  /** How long a lease holds without renewal; renewed every third of it while the attempt runs. Default 60 s. */
  readonly leaseMs?: number;
  /** An attempt that has not answered after this long is given up as ERR_TIMEOUT (retryable). Default 5 min. */
  readonly attemptTimeoutMs?: number;
  /** How long {@link OutboxWorker.stop} waits for attempts in flight. Default 10 s. */
  readonly stopGraceMs?: number;
  readonly retry?: RetryPolicy;
  /** Rows claimed per round. Default 20. */
  readonly batchSize?: number;
  /** Attempts at once. Default 4. */
  readonly concurrency?: number;
  /** How often the scheduler runs a drain. Default 5 s. */
  readonly intervalMs?: number;
}

/** The message as the transport gets it: only the fields that are there, and the Message-ID of the commit. */
export function outboundMessageOf(entry: OutboxEntry): OutboundMessage {
  return {
    from: entry.from,
    to: [...entry.to],
    ...(entry.cc.length > 0 ? { cc: [...entry.cc] } : {}),
    ...(entry.bcc.length > 0 ? { bcc: [...entry.bcc] } : {}),
    ...(entry.subject !== null ? { subject: entry.subject } : {}),
    text: entry.text,
    ...(entry.inReplyTo !== null ? { inReplyTo: entry.inReplyTo } : {}),
    ...(entry.references.length > 0 ? { references: [...entry.references] } : {}),
    messageId: entry.messageId,
  };
}

/** Details of a failure that are safe in a log line: codes and the failed command, never addresses. */
const LOGGED_DETAILS = ['operation', 'command', 'smtpCode', 'enhancedCode', 'challengeStatus', 'providerError'];

/**
 * Log fields for a failure: its code, the safe details, and what caused it (name and code; the message only of an
 * unexpected error, since a server's answer can carry addresses).
 */
function failureFields(error: PluginError): Record<string, unknown> {
  const fields: Record<string, unknown> = { code: error.code };
  for (const key of LOGGED_DETAILS) if (error.details[key] !== undefined) fields[key] = error.details[key];
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    fields.cause = {
      name: cause.name,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.code === 'ERR_INTERNAL' ? { message: cause.message } : {}),
    };
  }
  return fields;
}

/** Resolves `ms` after `signal` aborts; never when there is no signal. */
function graceAfter(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const start = () => setTimeout(resolve, ms).unref();
    if (signal.aborted) start();
    else signal.addEventListener('abort', start, { once: true });
  });
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  });
  await Promise.all(lanes);
}

/** Sends what the outbox holds. */
export class OutboxWorker {
  /** This worker's lease owner id. */
  readonly ownerId: string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly hostName: string;
  private readonly processRuns: (pid: number) => boolean;
  private readonly leaseMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly intervalMs: number;
  private readonly shutdown = new AbortController();
  private draining: Promise<void> | undefined;
  private again = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * @param store - the outbox table
   * @param registry - where the transports are
   * @param logger - outcomes and failures, with codes, never bodies or address lists
   * @param options - clock, lease and retry settings
   */
  constructor(
    private readonly store: OutboxStore,
    private readonly registry: ContributionRegistry,
    private readonly logger: LoggerPort,
    options: OutboxWorkerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.hostName = options.hostName ?? hostname();
    this.ownerId = options.ownerId ?? newLeaseOwner(this.hostName);
    this.processRuns = options.processRuns ?? processRuns;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 300_000;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.batchSize = options.batchSize ?? 20;
    this.concurrency = options.concurrency ?? 4;
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  /** The host's scheduled task: a drain every few seconds. */
  task(): ScheduledTask {
    return { id: OUTBOX_TASK_ID, intervalMs: this.intervalMs, run: (signal) => this.drain(signal) };
  }

  /**
   * Claims and sends everything due, round after round, until nothing is left (or `signal` / {@link stop} aborts;
   * attempts in flight are then given the stop grace to finish). A drain asked for while one runs makes it go
   * round once more instead of starting a second one.
   * @param signal - aborts at shutdown
   */
  drain(signal?: AbortSignal): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    const abort = signal ? AbortSignal.any([signal, this.shutdown.signal]) : this.shutdown.signal;
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          await this.rounds(abort);
        } while (this.again && !abort.aborted);
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Starts a drain now (after a commit) without waiting for it; failures are logged. */
  kick(): void {
    if (this.shutdown.signal.aborted) return;
    this.drain().catch((error: unknown) =>
      this.logger.error('outbox: drain failed', failureFields(toPluginError(error))),
    );
  }

  /**
   * Commits a message already leased to this worker and makes its first attempt at once, so no other process takes
   * it first; a retryable failure leaves it queued for the running helpdesk.
   * @param draft - the message and the way out
   * @returns the row after the attempt
   */
  async sendNow(draft: OutboxDraft): Promise<OutboxEntry> {
    const entry = await this.store.commit(draft, { owner: this.ownerId, until: this.now() + this.leaseMs });
    return this.track(this.attempt(entry));
  }

  /** Stops claiming, and waits up to the stop grace for attempts in flight. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    const grace = graceAfter(this.shutdown.signal, this.stopGraceMs);
    await Promise.race([Promise.allSettled([this.draining, ...this.inFlight]), grace]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Rounds of up to a batch of candidates; each lane claims its next candidate right before sending it, so a lease
   * never waits in a queue (it would lapse there and another worker could take the row while this one still plans
   * to send it).
   */
  private async rounds(abort: AbortSignal): Promise<void> {
    while (!abort.aborted) {
      const candidates = await this.candidates();
      if (candidates.length === 0) return;
      let claimed = 0;
      const done = eachLimited(candidates, this.concurrency, async ({ candidate, from }) => {
        if (abort.aborted) return;
        const entry = await this.store.claim(candidate.id, this.ownerId, this.now() + this.leaseMs, from);
        if (!entry) return;
        claimed += 1;
        if (from.kind === 'dead-owner')
          this.logger.warn('outbox: took over a message whose sending process no longer runs; sending it again', {
            outboxId: entry.id,
            previousOwner: from.owner,
          });
        await this.track(this.attempt(entry));
      });
      await Promise.race([done, graceAfter(abort, this.stopGraceMs)]);
      if (claimed === 0 || candidates.length < this.batchSize) return;
    }
  }

  /** Up to a batch of rows to claim: those of dead local owners first, then due and lapsed ones. */
  private async candidates(): Promise<Array<{ readonly candidate: OutboxCandidate; readonly from: ClaimFrom }>> {
    const transports = this.registry
      .mailTransports()
      .map(({ pluginId, transport }) => ({ pluginId, transportId: transport.id }));
    const found: Array<{ candidate: OutboxCandidate; from: ClaimFrom }> = [];
    for (const candidate of await this.store.sending(this.batchSize)) {
      const owner = candidate.leaseOwner;
      if (owner === null || owner === this.ownerId || !isDeadLocalOwner(owner, this.hostName, this.processRuns))
        continue;
      found.push({ candidate, from: { kind: 'dead-owner', owner } });
    }
    for (const candidate of await this.store.claimable(this.now(), this.batchSize, transports)) {
      if (found.length >= this.batchSize) break;
      if (found.some((entry) => entry.candidate.id === candidate.id)) continue;
      // A lapsed lease is taken back whatever its transport (and given back, unsent, when it is not registered).
      found.push({ candidate, from: candidate.state === 'queued' ? { kind: 'due' } : { kind: 'lapsed' } });
    }
    return found;
  }

  private transportOf(entry: OutboxEntry): MailTransport | undefined {
    return this.registry
      .mailTransports()
      .find(({ pluginId, transport }) => pluginId === entry.pluginId && transport.id === entry.transportId)?.transport;
  }

  /** One attempt of a row this worker leased; never throws for the send's sake (a database failure does). */
  private async attempt(entry: OutboxEntry): Promise<OutboxEntry> {
    const lease: OutboxLease = { id: entry.id, owner: this.ownerId, attempt: entry.attempts };
    const log = this.logger.child({
      outboxId: entry.id,
      ticketId: entry.ticketId,
      accountId: entry.accountId,
      transport: `${entry.pluginId}/${entry.transportId}`,
      attempt: entry.attempts,
    });
    const transport = this.transportOf(entry);
    if (!transport) {
      await this.store.release(lease, this.now());
      log.info('outbox: the mail transport is not registered right now; the message stays queued');
      return (await this.store.find(entry.id)) ?? entry;
    }
    const renewal = setInterval(
      () => {
        this.store.renew(lease, this.now() + this.leaseMs).then(
          (held) => {
            if (!held) log.warn('outbox: the lease was lost during the attempt (another worker took the message)');
          },
          (error: unknown) => log.warn('outbox: could not renew the lease', { code: toPluginError(error).code }),
        );
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    let result: SendResult | undefined;
    let failure: PluginError | undefined;
    try {
      result = await this.withTimeout(transport.send(entry.accountId, outboundMessageOf(entry)));
    } catch (error) {
      failure = toPluginError(error);
    } finally {
      clearInterval(renewal);
    }
    const recorded = result ? await this.recordSent(lease, result, log) : await this.recordFailure(lease, failure, log);
    if (!recorded)
      log.warn('outbox: the lease was lost before the outcome was recorded; the worker that holds it decides');
    return (await this.store.find(entry.id)) ?? entry;
  }

  private async recordSent(lease: OutboxLease, result: SendResult, log: LoggerPort): Promise<boolean> {
    const recorded = await this.store.markSent(lease, {
      response: String(result.response ?? ''),
      accepted: [...(result.accepted ?? [])].map(String),
      rejected: [...(result.rejected ?? [])].map(String),
    });
    log.info('outbox: sent', {
      response: String(result.response ?? '').slice(0, 200),
      accepted: result.accepted?.length ?? 0,
      rejected: result.rejected?.length ?? 0,
    });
    return recorded;
  }

  private async recordFailure(
    lease: OutboxLease,
    failure: PluginError = new PluginError('ERR_INTERNAL'),
    log: LoggerPort,
  ): Promise<boolean> {
    const error: AttemptError = { code: failure.code, message: failure.message };
    const fields = failureFields(failure);
    if (shouldRetry(ERROR_CODES[failure.code].retryable, lease.attempt, this.retry)) {
      const delay = retryDelayMs(lease.attempt, this.retry, this.random());
      log.warn('outbox: the attempt failed; the message stays queued and is tried again', {
        ...fields,
        retryInMs: delay,
      });
      return this.store.markRetry(lease, error, this.now() + delay);
    }
    log.error('outbox: the message could not be sent', { ...fields, final: true });
    return this.store.markFailed(lease, error);
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const seconds = Math.round(this.attemptTimeoutMs / 1000);
        reject(new PluginError('ERR_TIMEOUT', `The mail transport did not answer within ${seconds} s.`));
      }, this.attemptTimeoutMs);
      timer.unref();
    });
    // The abandoned attempt may still settle later; its outcome is not ours to record any more.
    work.catch(() => undefined);
    return Promise.race([work, limit]).finally(() => clearTimeout(timer));
  }
}
