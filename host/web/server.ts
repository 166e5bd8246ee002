/**
 * The reference host's web server (fastify): sign-in, admin shell, ticket list and pages, outbox, plugin routes.
 * Query strings are never logged (OAuth codes and states travel there).
 */
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ERROR_CODES, isPluginError, PluginError, type PluginErrorCode } from '../../plugin/index';
import { isDatabaseUnavailable } from '../db-errors';
import { loggableError } from '../../lib/loggable-error';
import { html, type SafeHtml } from '../../lib/html';
import { registerLoginRoutes } from './login-routes';
import { registerOutboxRoutes } from './outbox-routes';
import { registerPluginRoutes } from './plugin-routes';
import { loadSession, wantsJson } from './request-auth';
import { registerShellRoutes } from './shell-routes';
import { registerTicketRoutes } from './ticket-routes';
import { createWebContext, type WebDependencies } from './web-context';

/** Seconds a client is asked to wait after a 503 (about the SQLite busy timeout). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const DATABASE_BUSY = 'The database is busy or cannot be reached right now; nothing was changed. Try again shortly.';

function errorTitle(status: number): string {
  if (status === 403) return 'Not allowed';
  if (status === 404) return 'Not found';
  if (status === 429) return 'Too many attempts';
  if (status === 503) return 'Try again shortly';
  return 'Something went wrong';
}

/** Retry-After of an answer: the error's own wait, or a few seconds for a database that is busy or away. */
function retryAfterSeconds(error: PluginError | null): number | undefined {
  const own = error?.details.retryAfterSeconds;
  if (typeof own === 'number') return own;
  return error?.code === 'ERR_DATABASE_UNAVAILABLE' ? DATABASE_RETRY_AFTER_SECONDS : undefined;
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
    const pluginError = isPluginError(error)
      ? error
      : isDatabaseUnavailable(error)
        ? new PluginError('ERR_DATABASE_UNAVAILABLE', DATABASE_BUSY, {}, { cause: error })
        : null;
    const clientStatus =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : undefined;
    const status = pluginError ? ERROR_CODES[pluginError.code].httpStatus : (clientStatus ?? 500);
    const code = pluginError?.code ?? (status < 500 ? 'ERR_INPUT_INVALID' : 'ERR_INTERNAL');
    const message = pluginError ? pluginError.message : status < 500 ? error.message : ERROR_CODES.ERR_INTERNAL.message;
    const retryAfter = retryAfterSeconds(pluginError);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    if (status >= 500)
      deps.logger.error(
        { path: request.url.split('?')[0], code, error: loggableError(pluginError ?? error) },
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

  // Load balancers and uptime checks: 200 only when the database answers (no session, no detail beyond that).
  app.get('/healthz', async (_request, reply) => {
    const database = await deps.databaseAnswers();
    return reply
      .code(database ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ok: database, database: database ? 'ok' : 'failing' });
  });
  registerLoginRoutes(app, ctx);
  registerShellRoutes(app, ctx);
  registerTicketRoutes(app, ctx);
  registerOutboxRoutes(app, ctx);
  registerPluginRoutes(app, ctx);
  return app;
}
