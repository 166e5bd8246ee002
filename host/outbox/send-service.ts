/**
 * Sending, as the web and the console ask for it: a reply to a ticket (committed, then the worker is kicked) and a
 * message sent at once from the console (committed leased, one attempt, its outcome). Both go through the outbox.
 */
import { PluginError } from '../../plugin/index';
import type { LoggerPort } from '../../plugin/index';
import type { ContributionRegistry } from '../contribution-registry';
import { readTicketMessage } from '../ticket-message';
import type { TicketStore } from '../ticket-store';
import type { OutboxEntry } from './outbox-entry';
import type { OutboxWorker } from './outbox-worker';
import type { OutboxStore } from './outbox-store';
import { normalizeNewlines, replyDraft, threadingOf, type Threading } from './reply-draft';
import { findSender, type SenderRoute } from './sender-lookup';

/** What the console's `send` asks for. */
export interface DirectMessage {
  readonly accountId: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** Default: the sender account's address. */
  readonly from?: string;
  /** Thread it to this ticket like a reply (In-Reply-To, References, listed on the ticket). */
  readonly inReplyToTicket?: string;
}

/** `details.reason` of the error thrown when no transport sends for the account. */
export const SENDING_OFF = 'sending_off';

/**
 * The error for an account no registered transport lists as a sender.
 * @param accountId - the account
 */
export function sendingOffError(accountId: string): PluginError {
  return new PluginError(
    'ERR_INPUT_INVALID',
    `Sending is off for mail account ${accountId}: no active mail transport lists it as a sender. ` +
      "An administrator switches sending on in the account's settings (Mail accounts) " +
      `or with \`oauth2-mail account update ${accountId} --smtp\`.`,
    { accountId, reason: SENDING_OFF },
  );
}

/** The services the send service uses. */
export interface SendServiceDeps {
  readonly tickets: TicketStore;
  readonly outbox: OutboxStore;
  readonly worker: OutboxWorker;
  readonly registry: ContributionRegistry;
  readonly logger: LoggerPort;
}

/** Replies and direct sends. */
export class SendService {
  /** @param deps - stores, worker, registry */
  constructor(private readonly deps: SendServiceDeps) {}

  /**
   * The transport that sends for an account, or null when sending is off for it.
   * @param accountId - the plugin's mail account id
   */
  route(accountId: string): Promise<SenderRoute | null> {
    return findSender(this.deps.registry, accountId, this.deps.logger);
  }

  /**
   * Commits an agent's reply to a ticket and kicks the worker; it leaves within a second or two.
   * @param ticketId - the ticket
   * @param text - what the agent wrote
   * @param authorId - the agent's host user id
   * @throws PluginError ERR_NOT_FOUND (no such ticket), ERR_INPUT_INVALID (empty, no address, sending off)
   */
  async reply(ticketId: string, text: string, authorId: string | null): Promise<OutboxEntry> {
    const { ticket, message } = await this.ticketAndMessage(ticketId);
    const route = await this.route(ticket.accountId);
    if (!route) throw sendingOffError(ticket.accountId);
    const entry = await this.deps.outbox.commit(replyDraft(ticket, message, route, text, authorId));
    this.deps.logger.info('outbox: reply committed', {
      outboxId: entry.id,
      ticketId: ticket.id,
      accountId: ticket.accountId,
    });
    this.deps.worker.kick();
    return entry;
  }

  /**
   * Commits a message and makes its first attempt at once (the console); the row tells the outcome.
   * @param message - what to send
   * @throws PluginError ERR_INPUT_INVALID (no recipient, empty text, sending off), ERR_NOT_FOUND (no such ticket)
   */
  async sendNow(message: DirectMessage): Promise<OutboxEntry> {
    if (message.to.length === 0) throw new PluginError('ERR_INPUT_INVALID', 'Give at least one --to address.');
    if (message.text.trim().length === 0) throw new PluginError('ERR_INPUT_INVALID', 'The text is empty.');
    let threading: Threading | undefined;
    if (message.inReplyToTicket !== undefined) {
      const { ticket, message: parsed } = await this.ticketAndMessage(message.inReplyToTicket);
      threading = threadingOf(ticket, parsed);
    }
    const route = await this.route(message.accountId);
    if (!route) throw sendingOffError(message.accountId);
    return this.deps.worker.sendNow({
      ticketId: threading?.ticketId ?? null,
      pluginId: route.pluginId,
      transportId: route.transport.id,
      accountId: message.accountId,
      from: message.from ?? route.sender.address,
      to: [...message.to],
      cc: [...(message.cc ?? [])],
      subject: message.subject,
      text: normalizeNewlines(message.text),
      inReplyTo: threading?.inReplyTo ?? null,
      references: threading?.references ?? [],
      authorId: null,
    });
  }

  private async ticketAndMessage(ticketId: string) {
    const ticket = /^\d{1,15}$/.test(ticketId) ? await this.deps.tickets.find(ticketId) : null;
    const raw = ticket ? await this.deps.tickets.raw(ticket.id) : null;
    if (!ticket || !raw) throw new PluginError('ERR_NOT_FOUND', `Ticket ${ticketId} does not exist.`, { ticketId });
    return { ticket, message: await readTicketMessage(raw) };
  }
}
