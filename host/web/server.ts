/**
 * The reference host's web server (fastify): sign-in, admin shell, ticket list and pages, outbox, plugin routes.
 * Query strings are never logged (OAuth codes and states travel there).
 */
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ERROR_CODES, isPluginError, type PluginErrorCode } from '../../plugin/index';
import { html, type SafeHtml } from '../../lib/html';
import { registerLoginRoutes } from './login-routes';
import { registerOutboxRoutes } from './outbox-routes';
import { registerPluginRoutes } from './plugin-routes';
import { loadSession, wantsJson } from './request-auth';
import { registerShellRoutes } from './shell-routes';
import { registerTicketRoutes } from './ticket-routes';
import { createWebContext, type WebDependencies } from './web-context';

function errorTitle(status: number): string {
  if (status === 403) return 'Not allowed';
  if (status === 404) return 'Not found';
  return 'Something went wrong';
}

/** An error page's body: the message, the error table's fix, and a way back. */
function errorBody(code: PluginErrorCode, message: string): SafeHtml {
  return html`<p class="error-text" data-code="${code}">${message}</p>
<p class="muted">${ERROR_CODES[code].fix}</p>
<p><a href="/">Back</a></p>`;
}

/**
 * Builds (but does not start) the web server.
 * @param deps - stores and services
 */
export async function buildWebServer(deps: WebDependencies): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: false, bodyLimit: 1024 * 1024 });
  await app.register(fastifyFormbody);
  const ctx = createWebContext(deps);

  app.decorateRequest('hostSession', null);
  app.decorateRequest('hostCookies', null as unknown as Record<string, string>); // set per request by loadSession
  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "frame-ancestors 'none'",
    });
  });
  app.addHook('onRequest', loadSession(deps.sessions));
  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/healthz') return;
    deps.logger.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const pluginError = isPluginError(error) ? error : null;
    const clientStatus =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : undefined;
    const status = pluginError ? ERROR_CODES[pluginError.code].httpStatus : (clientStatus ?? 500);
    const code = pluginError?.code ?? (status < 500 ? 'ERR_INPUT_INVALID' : 'ERR_INTERNAL');
    const message = pluginError ? pluginError.message : status < 500 ? error.message : ERROR_CODES.ERR_INTERNAL.message;
    if (status >= 500)
      deps.logger.error(
        { path: request.url.split('?')[0], code, error: { name: error.name, message: error.message } },
        'request failed',
      );
    if (wantsJson(request)) return reply.code(status).send({ error: { code, message } });
    return ctx.sendPage(request, reply, { title: errorTitle(status), status, body: errorBody(code, message) });
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (wantsJson(request))
      return reply.code(404).send({ error: { code: 'ERR_NOT_FOUND', message: 'There is no such page.' } });
    return ctx.sendPage(request, reply, {
      title: 'Not found',
      status: 404,
      body: html`<p>There is no such page.</p><p><a href="/">Back</a></p>`,
    });
  });

  app.get('/healthz', async () => ({ ok: true }));
  registerLoginRoutes(app, ctx);
  registerShellRoutes(app, ctx);
  registerTicketRoutes(app, ctx);
  registerOutboxRoutes(app, ctx);
  registerPluginRoutes(app, ctx);
  return app;
}
