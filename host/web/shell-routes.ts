/** GET / (admin overview: plugins and their state) and GET /tickets (the ticket list, for every signed-in user). */
import type { FastifyInstance } from 'fastify';
import { html } from '../../lib/html';
import { requireAdmin, requireUser } from './request-auth';
import type { WebContext } from './web-context';

const PAGE_SIZE = 50;

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Registers the shell pages.
 * @param app - the fastify instance
 * @param ctx - the web context
 */
export function registerShellRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const plugins = await ctx.plugins.list();
    const ticketCount = await ctx.tickets.count();
    return ctx.sendPage(request, reply, {
      title: 'Overview',
      body: html`<p><a href="/tickets">${ticketCount} ticket${ticketCount === 1 ? '' : 's'}</a> so far.</p>
<h2>Plugins</h2>
${
  plugins.length === 0
    ? html`<p class="muted">No plugin installed. Install one with <code>oauth2-mail plugin install &lt;folder&gt;</code>.</p>`
    : html`<table><thead><tr><th>Plugin</th><th>Version</th><th>State</th><th>Permissions</th></tr></thead><tbody>
${plugins.map((plugin) => html`<tr><td>${plugin.id}</td><td>${plugin.version}</td><td>${plugin.active ? 'active' : html`<span class="error-text">not active</span>${plugin.lastError ? html`<br><small>${plugin.lastError}</small>` : ''}`}</td><td>${plugin.permissions.join(', ')}</td></tr>`)}
</tbody></table>`
}`,
    });
  });

  app.get('/tickets', async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const page = Math.max(1, Number((request.query as Record<string, unknown>).page) || 1);
    const tickets = await ctx.tickets.list({ limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
    const more = tickets.length > PAGE_SIZE;
    return ctx.sendPage(request, reply, {
      title: 'Tickets',
      body:
        tickets.length === 0
          ? html`<p class="muted" id="no-tickets">No tickets yet. Mail fetched by a connected mail account shows up here.</p>`
          : html`<table id="tickets"><thead><tr><th>#</th><th>Account</th><th>Subject</th><th>From</th><th>Received</th><th>Size</th></tr></thead><tbody>
${tickets.slice(0, PAGE_SIZE).map((t) => html`<tr><td>${t.id}</td><td>${t.accountId}</td><td>${t.subject ?? html`<span class="muted">(no subject)</span>`}</td><td>${t.from ?? ''}</td><td><time datetime="${new Date(t.receivedAt).toISOString()}">${new Date(t.receivedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC</time></td><td>${formatSize(t.size)}</td></tr>`)}
</tbody></table>
<p>${page > 1 ? html`<a href="/tickets?page=${page - 1}">Newer</a> ` : ''}${more ? html`<a href="/tickets?page=${page + 1}">Older</a>` : ''}</p>`,
    });
  });
}
