/**
 * A minimal in-memory host ingest for attribution runs: idempotent on `dedupeKey` like the real TicketStore, but it
 * keeps only the key, the size and a sha256 (no SQLite row, no header parse, the bytes are dropped). What the plugin
 * costs beside the reference host's store is the difference between the two.
 */
import { createHash } from 'node:crypto';
import type { InboundMessage, IngestResult, MailPort } from '../../plugin/ports/host';

/** dedupeKey -> ticket id, size and digest. */
export class MinimalHostIngest implements Pick<MailPort, 'ingest'> {
  private readonly tickets = new Map<string, { id: string; size: number; sha256: string }>();

  /** @inheritdoc */
  async ingest(message: InboundMessage): Promise<IngestResult> {
    const known = this.tickets.get(message.dedupeKey);
    if (known) return { ticketId: known.id, duplicate: true };
    const id = String(this.tickets.size + 1);
    this.tickets.set(message.dedupeKey, {
      id,
      size: message.raw.length,
      sha256: createHash('sha256').update(message.raw).digest('hex'),
    });
    return { ticketId: id, duplicate: false };
  }

  /** Tickets created. */
  get count(): number {
    return this.tickets.size;
  }

  /** Bytes of every ticket's message. */
  get bytes(): number {
    let sum = 0;
    for (const ticket of this.tickets.values()) sum += ticket.size;
    return sum;
  }
}
