/** The one fake of the host's mail pipeline (`MailPort.ingest`) for unit tests. */
import type { InboundMessage, IngestResult, MailPort } from '../../../plugin/ports/host';

/** A host mail pipeline that dedupes by key, like the reference host's ticket store. */
export class FakeHostMail implements Pick<MailPort, 'ingest' | 'ingestMany'> {
  readonly tickets = new Map<string, { id: string; raw: Buffer; accountId: string }>();
  /** Messages handed over, one per ingest and each message of an ingestMany. */
  calls = 0;
  /** Calls of ingestMany, with how many messages each. */
  readonly batches: number[] = [];
  reject: ((message: InboundMessage) => Error | null) | null = null;

  async ingest(message: InboundMessage): Promise<IngestResult> {
    this.calls += 1;
    const rejection = this.reject?.(message);
    if (rejection) throw rejection;
    const existing = this.tickets.get(message.dedupeKey);
    if (existing) return { ticketId: existing.id, duplicate: true };
    const id = String(this.tickets.size + 1);
    this.tickets.set(message.dedupeKey, { id, raw: message.raw, accountId: message.accountId });
    return { ticketId: id, duplicate: false };
  }

  /** All or nothing, like the reference host's one transaction: a rejection of one message makes none of them. */
  async ingestMany(messages: readonly InboundMessage[]): Promise<IngestResult[]> {
    this.batches.push(messages.length);
    this.calls += messages.length;
    const rejection = messages.map((message) => this.reject?.(message)).find((error) => error);
    if (rejection) throw rejection;
    const results: IngestResult[] = [];
    for (const message of messages) {
      const existing = this.tickets.get(message.dedupeKey);
      if (existing) {
        results.push({ ticketId: existing.id, duplicate: true });
        continue;
      }
      const id = String(this.tickets.size + 1);
      this.tickets.set(message.dedupeKey, { id, raw: message.raw, accountId: message.accountId });
      results.push({ ticketId: id, duplicate: false });
    }
    return results;
  }
}
