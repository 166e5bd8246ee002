/**
 * A reply to a ticket as the outbox commits it: to the ticket's Reply-To (else From), from the sending account's
 * address, threaded with In-Reply-To and References, subject "Re: …" once.
 */
import { PluginError } from '../../plugin/index';
import type { Ticket } from '../ticket-store';
import type { TicketMessage } from '../ticket-message';
import type { OutboxDraft } from './outbox-entry';
import type { SenderRoute } from './sender-lookup';

/**
 * "Re: " before the subject unless it already starts with "Re:" (any case).
 * @param subject - the ticket's subject
 */
export function replySubject(subject: string | null): string {
  const trimmed = (subject ?? '').trim();
  if (/^re:/i.test(trimmed)) return trimmed;
  return trimmed.length > 0 ? `Re: ${trimmed}` : 'Re:';
}

/**
 * The References of a reply: the ticket's References, then its Message-ID (each once, oldest first).
 * @param message - the ticket's message
 */
export function replyReferences(message: Pick<TicketMessage, 'references' | 'messageId'>): string[] {
  const ids = [...message.references, ...(message.messageId ? [message.messageId] : [])];
  return [...new Set(ids)];
}

/** The threading of a message sent as an answer to a ticket (also the console's `send --in-reply-to`). */
export interface Threading {
  readonly ticketId: string;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
}

/**
 * How a message answering `ticket` is threaded.
 * @param ticket - the ticket
 * @param message - its parsed message
 */
export function threadingOf(ticket: Ticket, message: TicketMessage): Threading {
  const messageId = message.messageId ?? ticket.messageId;
  return { ticketId: ticket.id, inReplyTo: messageId, references: replyReferences({ ...message, messageId }) };
}

/**
 * The outbox draft of an agent's reply.
 * @param ticket - the ticket answered
 * @param message - its parsed message
 * @param route - the transport and sender of the ticket's account
 * @param text - what the agent wrote
 * @param authorId - the agent
 * @throws PluginError ERR_INPUT_INVALID when the text is empty or the ticket has no address to answer
 */
export function replyDraft(
  ticket: Ticket,
  message: TicketMessage,
  route: SenderRoute,
  text: string,
  authorId: string | null,
): OutboxDraft {
  if (text.trim().length === 0) throw new PluginError('ERR_INPUT_INVALID', 'Write the reply first: it is empty.');
  if (message.replyAddresses.length === 0)
    throw new PluginError('ERR_INPUT_INVALID', 'This ticket has no Reply-To or From address that can be answered.', {
      ticketId: ticket.id,
    });
  const threading = threadingOf(ticket, message);
  return {
    ticketId: ticket.id,
    pluginId: route.pluginId,
    transportId: route.transport.id,
    accountId: ticket.accountId,
    from: route.sender.address,
    to: [...message.replyAddresses],
    subject: replySubject(message.subject ?? ticket.subject),
    text: normalizeNewlines(text),
    inReplyTo: threading.inReplyTo,
    references: threading.references,
    authorId,
  };
}

/**
 * A text body with CRLF / CR newlines as LF (a browser's textarea sends CRLF; the transport writes the wire form).
 * @param text - the text
 */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
