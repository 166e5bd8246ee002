/**
 * The ticket page's body: the message as an agent reads it (addresses, date, subject, the text body escaped with its
 * whitespace kept, the attachments listed), the replies from the outbox with their state, and the Reply form.
 */
import { html, tableCells, tableHead, type SafeHtml } from '../../lib/html';
import type { OutboxEntry } from '../outbox/outbox-entry';
import { replySubject } from '../outbox/reply-draft';
import type { TicketAttachment, TicketMessage } from '../ticket-message';
import type { Ticket } from '../ticket-store';
import { formatSize, timeElement } from './formatting';
import { lastError, stateLine } from './outbox-state';

/** Whether and how the ticket can be answered. */
export type ReplyAvailability =
  | { readonly kind: 'ready'; readonly from: string }
  | {
      readonly kind: 'sending-off';
      /** Where an admin switches sending on (the admin screen of the plugin the ticket came from), if known. */
      readonly settings?: { readonly title: string; readonly href: string };
    };

/** What the Reply form shows after a refused submit. */
export interface ReplyFormState {
  readonly text?: string;
  readonly error?: string;
}

/** Everything the page shows. */
export interface TicketPageInput {
  readonly ticket: Ticket;
  readonly message: TicketMessage;
  readonly replies: readonly OutboxEntry[];
  readonly availability: ReplyAvailability;
  readonly csrfToken: string;
  readonly form?: ReplyFormState;
}

function header(name: string, value: SafeHtml | string | null): SafeHtml {
  if (value === null || value === '') return html``;
  return html`<dt>${name}</dt>
<dd>${value}</dd>
`;
}

function headers(ticket: Ticket, message: TicketMessage): SafeHtml {
  const date = message.date ? timeElement(message.date) : null;
  const subject = message.subject ?? ticket.subject ?? html`<span class="muted">(no subject)</span>`;
  const rows = [
    header('From', message.from ?? ticket.from),
    header('To', message.to),
    header('Cc', message.cc),
    header('Reply-To', message.replyTo),
    header('Date', date),
  ];
  return html`<dl class="headers" id="message-headers">
${rows}<dt>Subject</dt>
<dd id="message-subject">${subject}</dd>
<dt>Received</dt>
<dd>${timeElement(ticket.receivedAt)} · account ${ticket.accountId} · ${formatSize(ticket.size)}</dd>
</dl>`;
}

function attachmentRow(attachment: TicketAttachment): SafeHtml {
  const name = attachment.filename ?? html`<span class="muted">(no name)</span>`;
  return html`<tr>${tableCells([name, attachment.contentType, formatSize(attachment.size)])}</tr>`;
}

function attachments(list: readonly TicketAttachment[]): SafeHtml {
  if (list.length === 0) return html``;
  return html`<h3>Attachments</h3>
<table id="attachments">
${tableHead(['Name', 'Type', 'Size'])}
<tbody>
${list.map(attachmentRow)}
</tbody>
</table>`;
}

function body(message: TicketMessage): SafeHtml {
  const problem = message.problem ? html`<p class="banner warning" role="status">${message.problem}</p>` : '';
  const note = message.fromHtml ? html`<p class="muted">HTML message, shown as text.</p>` : '';
  const text =
    message.text.trim().length > 0
      ? html`<pre class="mail-body" id="message-body">${message.text}</pre>`
      : html`<p class="muted" id="message-body">(no text)</p>`;
  return html`${problem}${note}${text}`;
}

function replyItem(entry: OutboxEntry): SafeHtml {
  const cc = entry.cc.length > 0 ? ` · Cc ${entry.cc.join(', ')}` : '';
  return html`<li class="reply" id="reply-${entry.id}" data-state="${entry.state}" data-message-id="${entry.messageId}">
<p>${stateLine(entry)}</p>
<p class="muted">${timeElement(entry.createdAt)} · To ${entry.to.join(', ')}${cc} · ${entry.subject ?? ''}</p>
${lastError(entry)}
<pre class="mail-body">${entry.text}</pre>
</li>`;
}

function replies(list: readonly OutboxEntry[]): SafeHtml {
  if (list.length === 0) return html`<p class="muted" id="no-replies">No reply yet.</p>`;
  return html`<ol class="replies" id="replies">
${list.map(replyItem)}
</ol>`;
}

function sendingOff(availability: Extract<ReplyAvailability, { kind: 'sending-off' }>, accountId: string): SafeHtml {
  const where = availability.settings
    ? html` in <a href="${availability.settings.href}">${availability.settings.title}</a>`
    : '';
  const why = `Sending is off for mail account ${accountId}: no active mail transport lists it as a sender.`;
  return html`<p class="banner error" role="alert" id="sending-off">
${why} An administrator switches sending on for the account${where}.
</p>`;
}

function replyForm(input: TicketPageInput): SafeHtml {
  const { ticket, message, availability, form } = input;
  const error = form?.error ? html`<p class="error-text" role="alert" id="reply-error">${form.error}</p>` : '';
  const off = availability.kind === 'sending-off' ? sendingOff(availability, ticket.accountId) : '';
  const from = availability.kind === 'ready' ? html`From ${availability.from} · ` : '';
  const to = message.replyAddresses.length > 0 ? message.replyAddresses.join(', ') : '(no address)';
  return html`<h2>Reply</h2>
${error}${off}<form method="post" action="/tickets/${ticket.id}/reply" id="reply-form">
<input type="hidden" name="_csrf" value="${input.csrfToken}">
<p class="muted">${from}To ${to} · Subject ${replySubject(message.subject ?? ticket.subject)}</p>
<textarea name="text" rows="8" cols="80" required>${form?.text ?? ''}</textarea>
<p>
<button type="submit">Send reply</button>
</p>
</form>`;
}

/**
 * The ticket page's body.
 * @param input - the ticket, its message, its replies, whether it can be answered, the CSRF token
 */
export function ticketPageBody(input: TicketPageInput): SafeHtml {
  return html`<p><a href="/tickets">All tickets</a></p>
<section class="message" id="message">
${headers(input.ticket, input.message)}
${body(input.message)}
${attachments(input.message.attachments)}
</section>
<h2>Replies</h2>
${replies(input.replies)}
${replyForm(input)}`;
}
