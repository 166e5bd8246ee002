/** GET /outbox: every outgoing message with its state, for every signed-in user. */
import type { FastifyInstance } from 'fastify';
import { requireUser } from './request-auth';
import { outboxPageBody } from './outbox-page';
import type { WebContext } from './web-context';

const PAGE_SIZE = 50;

/**
 * Registers the Outbox page.
 * @param app - the fastify instance
 * @param ctx - the web context
 */
export function registerOutboxRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/outbox', async (request, reply) => {
    if (!requireUser(request, reply)) return reply;
    const page = Math.max(1, Math.floor(Number((request.query as Record<string, unknown>).page) || 1));
    const [entries, counts] = await Promise.all([
      ctx.outbox.list({ limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE }),
      ctx.outbox.countByState(),
    ]);
    return ctx.sendPage(request, reply, {
      title: 'Outbox',
      body: outboxPageBody(entries.slice(0, PAGE_SIZE), counts, page, entries.length > PAGE_SIZE),
    });
  });
}
