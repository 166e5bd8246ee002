/** The one fake of the host's mail pipeline (`MailPort.ingest`) for unit tests. */
import type { InboundMessage, IngestResult, MailPort } from '../../../plugin/ports/host';

/** A host mail pipeline that dedupes by key, like the reference host's ticket store. */
export class FakeHostMail implements Pick<MailPort, 'ingest'> {
  readonly tickets = new Map<string, { id: string; raw: Buffer; accountId: string }>();
  calls = 0;
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
}
