/**
 * The plugin's small JSON API for app registrations and mail accounts, registered through `host.routes`
 * (docs/architecture.md#host-contract). The console (`oauth2-mail app …`, `oauth2-mail account …`) drives these
 * routes in process, and any host front end may call them over HTTP. Admin only; the host checks CSRF on POST.
 * `POST /api/accounts/:id/connect` answers `{ authorizationUrl }` for a delegated account and `{ connected, account }`
 * for an app-only or service-account one; `…/device` starts a device sign-in (`{ deviceSignIn }`: the code and
 * where to enter it) and `…/device-wait` answers once it is over (`{ connected, account }`, or the error).
 */
import { eventWords } from '../admin/event-words';
import { ERROR_CODES, PluginError, toPluginError } from '../errors';
import type { Clock } from '../ports/clock';
import type { Actor, HostRequest, HostResponse, RouteDefinition } from '../ports/host';
import type { AppService } from '../oauth/app-service';
import type { MailAccount } from '../ports/account-repository';
import { storedAccountFields } from './account-input';
import { withStringRequest } from '../string-request';
import { connectionTestJson, type ConnectionTester } from '../admin/connection-test';
import type { EventLog } from '../ports/event-log';
import { appRegistrationFacts } from '../oauth/app-registration-facts';

/** Events `GET /api/accounts/:id/events` answers unless `?limit=` says otherwise (newest first). */
const EVENTS_LIMIT = 100;
import { summarizeAccount, type AccountService } from './account-service';

/** The route ids, paths and methods this API registers (declared in plugin.json `contributes.routes`). */
export const JSON_API_ROUTES = [
  { id: 'oauth2-mail.api.apps', method: 'GET', path: '/api/apps' },
  { id: 'oauth2-mail.api.apps.create', method: 'POST', path: '/api/apps' },
  { id: 'oauth2-mail.api.app', method: 'GET', path: '/api/apps/:id' },
  { id: 'oauth2-mail.api.app.action', method: 'POST', path: '/api/apps/:id/:action' },
  { id: 'oauth2-mail.api.accounts', method: 'GET', path: '/api/accounts' },
  { id: 'oauth2-mail.api.accounts.create', method: 'POST', path: '/api/accounts' },
  { id: 'oauth2-mail.api.account', method: 'GET', path: '/api/accounts/:id' },
  { id: 'oauth2-mail.api.account.events', method: 'GET', path: '/api/accounts/:id/events' },
  { id: 'oauth2-mail.api.account.action', method: 'POST', path: '/api/accounts/:id/:action' },
] as const;

type RouteId = (typeof JSON_API_ROUTES)[number]['id'];

/** The JSON error body: `{ error: { code, message, fix, details } }`. */
export function errorResponse(thrown: unknown): HostResponse {
  const error = toPluginError(thrown);
  const message = error.code === 'ERR_INTERNAL' ? ERROR_CODES.ERR_INTERNAL.message : error.message;
  return {
    kind: 'json',
    status: error.info.httpStatus,
    body: {
      error: {
        code: error.code,
        message,
        fix: ERROR_CODES[error.code].fix,
        details: error.code === 'ERR_INTERNAL' ? {} : error.details,
      },
    },
  };
}

function actorOf(request: HostRequest): Actor {
  if (!request.actor?.isAdmin) throw new PluginError('ERR_FORBIDDEN');
  return request.actor;
}

function ok(body: unknown, status = 200): HostResponse {
  return { kind: 'json', status, body };
}

/**
 * The API's routes.
 * @param services - the app and account services, and the clock that tells a live poll lease from a lapsed one
 */
export function jsonApiRoutes(services: {
  readonly apps: AppService;
  readonly accounts: AccountService;
  readonly clock: Clock;
  /** `POST /api/accounts/:id/test`: Test connection (without it the action is not offered). */
  readonly tester?: Pick<ConnectionTester, 'test'>;
  /** `GET /api/accounts/:id/events`: the account's history (without it the route answers an empty list). */
  readonly events?: EventLog;
  /** The redirect URI to register at the provider (`GET /api/apps/:id` answers it with the registration facts). */
  readonly redirectUri?: () => string;
}): RouteDefinition[] {
  const { apps, accounts, clock, tester, events } = services;
  const summarize = (account: MailAccount) => summarizeAccount(account, clock.now());
  const handlers: Record<RouteId, (request: HostRequest, actor: Actor) => Promise<HostResponse>> = {
    'oauth2-mail.api.apps': async () => ok({ apps: await apps.list() }),
    'oauth2-mail.api.apps.create': async (request, actor) =>
      ok({ app: await apps.create(request.form, actor.id) }, 201),
    'oauth2-mail.api.app': async (request) => {
      const app = await apps.get(request.params.id!);
      return ok({
        app,
        accounts: (await accounts.list({ appId: request.params.id! })).map(summarize),
        registration: services.redirectUri ? appRegistrationFacts(app, services.redirectUri(), clock.now()) : null,
      });
    },
    'oauth2-mail.api.app.action': async (request, actor) => {
      const id = request.params.id!;
      switch (request.params.action) {
        case 'update':
          return ok({ app: await apps.update(id, request.form, actor.id) });
        case 'remove':
          await apps.remove(id, actor.id);
          return ok({ removed: id });
        default:
          return errorResponse(new PluginError('ERR_NOT_FOUND', `Unknown action "${request.params.action}".`));
      }
    },
    'oauth2-mail.api.accounts': async (request) =>
      ok({
        accounts: (await accounts.list(request.query.appId ? { appId: request.query.appId } : undefined)).map(
          summarize,
        ),
      }),
    'oauth2-mail.api.accounts.create': async (request, actor) =>
      ok({ account: summarize(await accounts.create(request.form, actor.id)) }, 201),
    'oauth2-mail.api.account': async (request) => ok({ account: summarize(await accounts.get(request.params.id!)) }),
    'oauth2-mail.api.account.events': async (request) => {
      const account = await accounts.get(request.params.id!);
      const limit = Math.min(Math.max(Number(request.query.limit ?? EVENTS_LIMIT) || EVENTS_LIMIT, 1), 1000);
      const listed = events ? await events.list({ accountId: account.id, limit }) : [];
      // The history's words (as the screen shows them) next to the stored fields, for the console and scripts.
      return ok({ events: listed.map((event) => ({ ...event, words: eventWords(event) })) });
    },
    'oauth2-mail.api.account.action': async (request, actor) => {
      const id = request.params.id!;
      switch (request.params.action) {
        case 'update': {
          // Partial: a field the request leaves out keeps its stored value.
          const merged = { ...storedAccountFields(await accounts.get(id)), ...request.form };
          return ok({ account: summarize(await accounts.update(id, merged, actor.id)) });
        }
        case 'connect': {
          const started = await accounts.connect(id, actor.id);
          if (started.kind === 'browser')
            return ok({ authorizationUrl: started.authorizationUrl, expiresAt: started.expiresAt });
          return ok({ connected: started.result, account: summarize(await accounts.get(id)) });
        }
        case 'device':
          return ok({ deviceSignIn: await accounts.connectWithCode(id, actor.id) });
        case 'device-wait': {
          const connected = await accounts.waitForDeviceSignIn(id);
          return ok({ connected, account: summarize(await accounts.get(id)) });
        }
        case 'disconnect':
          return ok(await accounts.disconnect(id, actor.id, actor.name));
        case 'test': {
          if (!tester) throw new PluginError('ERR_NOT_FOUND', 'Test connection is not offered here.');
          const result = await tester.test(await accounts.get(id));
          return ok({ test: connectionTestJson(result), result });
        }
        case 'remove':
          await accounts.remove(id, actor.id);
          return ok({ removed: id });
        default:
          return errorResponse(new PluginError('ERR_NOT_FOUND', `Unknown action "${request.params.action}".`));
      }
    },
  };
  return JSON_API_ROUTES.map((route) =>
    withStringRequest({
      ...route,
      auth: 'admin' as const,
      async handle(request: HostRequest): Promise<HostResponse> {
        try {
          return await handlers[route.id](request, actorOf(request));
        } catch (error) {
          return errorResponse(error);
        }
      },
    }),
  );
}
