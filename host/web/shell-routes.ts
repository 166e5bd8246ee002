/** GET / (admin overview: plugins and their state) and GET /tickets (the ticket list, for every signed-in user). */
import type { FastifyInstance } from 'fastify';
import { requireAdmin, requireUser } from './request-auth';
import { overviewBody, ticketListBody } from './shell-pages';
import type { WebContext } from './web-context';

const PAGE_SIZE = 50;

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
      body: overviewBody(plugins, ticketCount),
    });
  });

  app.get('/tickets', async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const page = Math.max(1, Number((request.query as Record<string, unknown>).page) || 1);
    const tickets = await ctx.tickets.list({ limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
    const more = tickets.length > PAGE_SIZE;
    return ctx.sendPage(request, reply, {
      title: 'Tickets',
      body: ticketListBody(tickets.slice(0, PAGE_SIZE), page, more),
    });
  });
}
