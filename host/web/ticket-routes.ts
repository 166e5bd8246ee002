/**
 * GET /tickets/:id (the ticket page, for every signed-in user) and POST /tickets/:id/reply (commit a reply to the
 * outbox, then 303 back to the page, so a reload never sends twice).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isPluginError, PluginError } from '../../plugin/index';
import type { Session } from '../auth/session-store';
import { pluginMountPath } from '../plugin-scope';
import { readTicketMessage } from '../ticket-message';
import { checkCsrf, requireUser } from './request-auth';
import { ticketPageBody, type ReplyAvailability, type ReplyFormState } from './ticket-page';
import type { WebContext } from './web-context';

function ticketIdOf(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!/^\d{1,15}$/.test(id)) throw new PluginError('ERR_NOT_FOUND', 'There is no such ticket.');
  return id;
}

function formField(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/**
 * Registers the ticket page and the reply route.
 * @param app - the fastify instance
 * @param ctx - the web context
 */
export function registerTicketRoutes(app: FastifyInstance, ctx: WebContext): void {
  /** Where an admin switches sending on: the admin screen of the plugin whose mail source made the ticket. */
  const settingsFor = (sourceId: string, session: Session) => {
    if (session.user.role !== 'admin') return undefined;
    const entry = ctx.registry.adminScreens().find(({ pluginId }) => sourceId.startsWith(`${pluginId}.`));
    return entry
      ? { title: entry.screen.title, href: `${pluginMountPath(entry.pluginId)}${entry.screen.path}` }
      : undefined;
  };

  const sendTicketPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    options: { readonly status?: number; readonly form?: ReplyFormState } = {},
  ) => {
    const id = ticketIdOf(request);
    const ticket = await ctx.tickets.find(id);
    const raw = ticket ? await ctx.tickets.raw(id) : null;
    if (!ticket || !raw) throw new PluginError('ERR_NOT_FOUND', 'There is no such ticket.');
    const [message, replies, route] = await Promise.all([
      readTicketMessage(raw),
      ctx.outbox.listForTicket(id),
      ctx.sending.route(ticket.accountId),
    ]);
    const availability: ReplyAvailability = route
      ? { kind: 'ready', from: route.sender.address }
      : { kind: 'sending-off', settings: settingsFor(ticket.sourceId, session) };
    return ctx.sendPage(request, reply, {
      title: `Ticket #${ticket.id}`,
      status: options.status,
      body: ticketPageBody({
        ticket,
        message,
        replies,
        availability,
        csrfToken: session.csrfToken,
        form: options.form,
      }),
    });
  };

  app.get('/tickets/:id', async (request, reply) => {
    const session = requireUser(request, reply);
    if (!session) return reply;
    return sendTicketPage(request, reply, session);
  });

  app.post('/tickets/:id/reply', async (request, reply) => {
    const session = requireUser(request, reply);
    if (!session) return reply;
    checkCsrf(request, session);
    const id = ticketIdOf(request);
    const text = formField(request.body, 'text');
    try {
      const entry = await ctx.sending.reply(id, text, session.user.id);
      return reply.redirect(`/tickets/${id}#reply-${entry.id}`, 303);
    } catch (error) {
      if (!isPluginError(error) || error.code === 'ERR_NOT_FOUND') throw error;
      return sendTicketPage(request, reply, session, {
        status: ERROR_CODES[error.code].httpStatus,
        form: { text, error: error.message },
      });
    }
  });
}
