/**
 * The raw sources of one listed batch, fetched ahead in groups (one UID FETCH of BODY.PEEK[] per group, bounded in
 * listed bytes) instead of one FETCH per message. Only the download moves ahead: ingest, ledger + cursor and the
 * post-fetch action stay per message and in order, so a crash still re-ingests at most the message in flight.
 */
import type { MailSession, MessageSummary } from '../ports/mail-fetcher';

/** At most this many listed bytes are fetched ahead at once; a larger message is downloaded alone. */
export const PREFETCH_MAX_BYTES = 8 * 1024 * 1024;

/** Hands out the sources of a batch's messages in order, prefetching the next group on a miss. */
export class BatchSources {
  private readonly position = new Map<number, number>();
  private readonly sources = new Map<number, Buffer>();
  /** UIDs a fetch already asked for: one missing from its answer vanished meanwhile. */
  private readonly asked = new Set<number>();

  /**
   * @param session - the open session
   * @param due - the batch's messages that will be downloaded, ascending by UID
   * @param maxBytes - the bound of one prefetch in listed bytes
   */
  constructor(
    private readonly session: MailSession,
    private readonly due: readonly MessageSummary[],
    private readonly maxBytes = PREFETCH_MAX_BYTES,
  ) {
    due.forEach((summary, index) => this.position.set(summary.uid, index));
  }

  /**
   * The exact raw bytes of one message of the batch, handed out once (the buffer is released here).
   * @returns null when it vanished before it was fetched
   */
  async take(uid: number): Promise<Buffer | null> {
    if (!this.asked.has(uid)) await this.fill(uid);
    const raw = this.sources.get(uid) ?? null;
    this.sources.delete(uid);
    this.asked.delete(uid);
    return raw;
  }

  private async fill(uid: number): Promise<void> {
    const index = this.position.get(uid);
    const group = index === undefined || this.session.downloadMany === undefined ? [] : this.group(index);
    if (group.length <= 1) {
      const raw = await this.session.download(uid);
      this.asked.add(uid);
      if (raw !== null) this.sources.set(uid, raw);
      return;
    }
    const fetched = await this.session.downloadMany!(group);
    for (const member of group) {
      this.asked.add(member);
      const raw = fetched.get(member);
      if (raw !== undefined) this.sources.set(member, raw);
    }
  }

  /** UIDs from `index` on whose listed sizes together stay within the bound (none when the first alone exceeds it). */
  private group(index: number): number[] {
    const uids: number[] = [];
    let bytes = 0;
    for (let i = index; i < this.due.length; i++) {
      const { uid, size } = this.due[i];
      if (bytes + size > this.maxBytes || this.asked.has(uid)) break;
      uids.push(uid);
      bytes += size;
    }
    return uids;
  }
}
