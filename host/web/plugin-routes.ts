/**
 * Mounts plugin routes under /plugins/<plugin id><path>, dispatching through the registry so plugins
 * activated after the server started are served too. `admin` routes need a signed-in admin and, on
 * POST, the session's CSRF token; `monitoring` routes (GET) an admin session or the monitoring token as a Bearer
 * token; `none` routes (the OAuth callback) need neither, but get the signed-in admin as
 * `actor` when there is one, so the callback can refuse a sign-in another admin started.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PluginError } from '../../plugin/index';
import type { HostRequest, HostResponse } from '../../plugin/index';
import { trustedHtml } from '../../lib/html';
import { pluginMountPath } from '../plugin-scope';
import { checkCsrf, requireAdmin } from './request-auth';
import type { WebContext } from './web-context';

/** First string of each key (repeated keys keep their first value). */
function firstValues(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input || typeof input !== 'object') return out;
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
    else if (typeof first === 'number' || typeof first === 'boolean') out[key] = String(first);
  }
  return out;
}

/**
 * Where a plugin redirect goes: absolute http(s) URLs as they are (e.g. the provider's authorize
 * URL), host paths already under /plugins/<id>/ as they are, other paths relative to the plugin's mount.
 * @param pluginId - the plugin
 * @param location - what the plugin answered
 */
export function resolvePluginLocation(pluginId: string, location: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  const mount = pluginMountPath(pluginId);
  if (location === mount || location.startsWith(`${mount}/`) || location.startsWith(`${mount}?`)) return location;
  if (location.startsWith('/') && !location.startsWith('//')) return `${mount}${location}`;
  throw new PluginError('ERR_INTERNAL', `${pluginId} answered with an unusable redirect location`);
}

async function send(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  pluginId: string,
  response: HostResponse,
): Promise<FastifyReply> {
  switch (response.kind) {
    case 'page':
      return ctx.sendPage(request, reply, {
        title: response.title,
        body: trustedHtml(response.html),
        status: response.status,
      });
    case 'json':
      return reply
        .code(response.status ?? 200)
        .header('cache-control', 'no-store')
        .send(response.body ?? null);
    case 'redirect':
      return reply.redirect(resolvePluginLocation(pluginId, response.location), 303);
    case 'text':
      return reply
        .code(response.status ?? 200)
        .header('cache-control', 'no-store')
        .type(response.contentType)
        .send(response.body);
    default:
      throw new PluginError('ERR_INTERNAL', `${pluginId} answered with an unknown response kind`);
  }
}

/** Who may read a `monitoring` route: a signed-in admin, or whoever presents the monitoring token. */
async function monitoringActor(ctx: WebContext, request: FastifyRequest): Promise<HostRequest['actor'] | null> {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (bearer !== undefined)
    return (await ctx.isMonitoringToken(bearer))
      ? { id: 'monitoring', name: 'monitoring token', isAdmin: false }
      : null;
  const user = request.hostSession?.user;
  return user?.role === 'admin' ? { id: user.id, name: user.email, isAdmin: true } : null;
}

/**
 * Registers the dispatcher for plugin routes.
 * @param app - the fastify instance
 * @param ctx - the web context
 */
export function registerPluginRoutes(app: FastifyInstance, ctx: WebContext): void {
  const dispatch = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const params = request.params as { pluginId: string; '*': string };
    const method = request.method === 'POST' ? 'POST' : 'GET';
    const match = ctx.registry.matchRoute(params.pluginId, method, `/${params['*']}`);
    if (!match) throw new PluginError('ERR_NOT_FOUND', 'There is no such page.');
    let hostRequest: HostRequest = {
      method,
      params: match.params,
      query: firstValues(request.query),
      form: method === 'POST' ? firstValues(request.body) : {},
    };
    if (match.route.auth === 'monitoring') {
      const actor = await monitoringActor(ctx, request);
      if (!actor)
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="monitoring"')
          .header('cache-control', 'no-store')
          .send({ error: { code: 'ERR_FORBIDDEN', message: 'A monitoring token or an admin session is required.' } });
      hostRequest = { ...hostRequest, actor };
    } else if (match.route.auth === 'admin') {
      const session = requireAdmin(request, reply);
      if (!session) return reply;
      if (method === 'POST') checkCsrf(request, session);
      delete (hostRequest.form as Record<string, string>)._csrf;
      hostRequest = {
        ...hostRequest,
        actor: { id: session.user.id, name: session.user.email, isAdmin: true },
        csrfToken: session.csrfToken,
      };
    } else if (request.hostSession?.user.role === 'admin') {
      // The OAuth callback is bound to the admin who clicked Connect: tell the plugin who is signed in, when anyone is.
      const user = request.hostSession.user;
      hostRequest = { ...hostRequest, actor: { id: user.id, name: user.email, isAdmin: true } };
    }
    const response = await match.route.handle(hostRequest);
    return send(ctx, request, reply, params.pluginId, response);
  };
  app.get('/plugins/:pluginId/*', dispatch);
  app.post('/plugins/:pluginId/*', dispatch);
}
