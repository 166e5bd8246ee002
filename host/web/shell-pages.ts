/** The bodies of the shell's own pages: the admin overview (tickets so far, installed plugins) and the ticket list. */
import { html, tableCells, tableHead, type HtmlValue, type SafeHtml } from '../../lib/html';
import type { InstalledPlugin } from '../plugin-manager';
import type { Ticket } from '../ticket-store';
import { formatSize, timeElement } from './formatting';

function pluginState(plugin: InstalledPlugin): HtmlValue {
  if (plugin.active) return 'active';
  const lastError = plugin.lastError ? html`<br><small>${plugin.lastError}</small>` : '';
  return html`<span class="error-text">not active</span>${lastError}`;
}

function pluginRow(plugin: InstalledPlugin): SafeHtml {
  return html`<tr>${tableCells([plugin.id, plugin.version, pluginState(plugin), plugin.permissions.join(', ')])}</tr>`;
}

function pluginList(plugins: readonly InstalledPlugin[]): SafeHtml {
  if (plugins.length === 0) {
    const command = html`<code>oauth2-mail plugin install &lt;folder&gt;</code>`;
    return html`<p class="muted">No plugin installed. Install one with ${command}.</p>`;
  }
  return html`<table>
${tableHead(['Plugin', 'Version', 'State', 'Permissions'])}
<tbody>
${plugins.map(pluginRow)}
</tbody>
</table>`;
}

/**
 * The admin overview: how many tickets there are, and the installed plugins with their state.
 * @param plugins - every installed plugin
 * @param ticketCount - tickets so far
 */
export function overviewBody(plugins: readonly InstalledPlugin[], ticketCount: number): SafeHtml {
  return html`<p><a href="/tickets">${ticketCount} ticket${ticketCount === 1 ? '' : 's'}</a> so far.</p>
<h2>Plugins</h2>
${pluginList(plugins)}`;
}

function ticketRow(ticket: Ticket): SafeHtml {
  const href = `/tickets/${ticket.id}`;
  const title = ticket.subject ?? html`<span class="muted">(no subject)</span>`;
  const subject = html`<a href="${href}">${title}</a>`;
  const id = html`<a href="${href}">${ticket.id}</a>`;
  const cells = [
    id,
    ticket.accountId,
    subject,
    ticket.from ?? '',
    timeElement(ticket.receivedAt),
    formatSize(ticket.size),
  ];
  return html`<tr id="ticket-${ticket.id}">${tableCells(cells)}</tr>`;
}

function pager(page: number, more: boolean): SafeHtml {
  const newer = page > 1 ? html`<a href="/tickets?page=${page - 1}">Newer</a> ` : '';
  const older = more ? html`<a href="/tickets?page=${page + 1}">Older</a>` : '';
  return html`<p>${newer}${older}</p>`;
}

/**
 * One page of the ticket list, newest first, with links to the newer and older pages.
 * @param tickets - the page's tickets
 * @param page - its number, from 1
 * @param more - whether an older page follows
 */
export function ticketListBody(tickets: readonly Ticket[], page: number, more: boolean): SafeHtml {
  if (tickets.length === 0) {
    const empty = 'No tickets yet. Mail fetched by a connected mail account shows up here.';
    return html`<p class="muted" id="no-tickets">${empty}</p>`;
  }
  return html`<table id="tickets">
${tableHead(['#', 'Account', 'Subject', 'From', 'Received', 'Size'])}
<tbody>
${tickets.map(ticketRow)}
</tbody>
</table>
${pager(page, more)}`;
}
