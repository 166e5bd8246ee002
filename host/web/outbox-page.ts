/** The Outbox page's body: every outgoing message, newest first, with its state, attempts, next attempt and error. */
import { html, tableCells, tableHead, type SafeHtml } from '../../lib/html';
import type { OutboxEntry, OutboxState } from '../outbox/outbox-entry';
import { timeElement } from './formatting';
import { lastError, stateBadge } from './outbox-state';

function ticketLink(entry: OutboxEntry): SafeHtml | string {
  return entry.ticketId !== null
    ? html`<a href="/tickets/${entry.ticketId}#reply-${entry.id}">#${entry.ticketId}</a>`
    : '';
}

function nextAttempt(entry: OutboxEntry): SafeHtml | string {
  if (entry.state === 'sent' && entry.sentAt !== null) return html`sent ${timeElement(entry.sentAt)}`;
  if (entry.state === 'queued' && entry.nextAttemptAt !== null) return timeElement(entry.nextAttemptAt);
  return '';
}

function row(entry: OutboxEntry): SafeHtml {
  const cells = [
    entry.id,
    stateBadge(entry),
    entry.accountId,
    entry.to.join(', '),
    entry.subject ?? '',
    entry.attempts,
    nextAttempt(entry),
    lastError(entry),
    ticketLink(entry),
  ];
  return html`<tr id="outbox-${entry.id}" data-state="${entry.state}">${tableCells(cells)}</tr>`;
}

function pager(page: number, more: boolean): SafeHtml {
  const newer = page > 1 ? html`<a href="/outbox?page=${page - 1}">Newer</a> ` : '';
  const older = more ? html`<a href="/outbox?page=${page + 1}">Older</a>` : '';
  return html`<p>${newer}${older}</p>`;
}

function summary(counts: Readonly<Record<OutboxState, number>>): SafeHtml {
  const parts = (Object.keys(counts) as OutboxState[]).map((state) => `${counts[state]} ${state}`);
  return html`<p class="muted" id="outbox-counts">${parts.join(' · ')}</p>`;
}

/**
 * One page of the outbox.
 * @param entries - the page's rows, newest first
 * @param counts - rows per state, all pages
 * @param page - its number, from 1
 * @param more - whether an older page follows
 */
export function outboxPageBody(
  entries: readonly OutboxEntry[],
  counts: Readonly<Record<OutboxState, number>>,
  page: number,
  more: boolean,
): SafeHtml {
  if (entries.length === 0 && page === 1) {
    const empty = 'Nothing sent yet. Replies written on a ticket page show up here.';
    return html`<p class="muted" id="outbox-empty">${empty}</p>`;
  }
  return html`${summary(counts)}
<table id="outbox">
${tableHead(['#', 'State', 'Account', 'To', 'Subject', 'Attempts', 'Next attempt', 'Error', 'Ticket'])}
<tbody>
${entries.map(row)}
</tbody>
</table>
${pager(page, more)}`;
}
