/**
 * GET /callback: where the provider sends the admin's browser back. `auth: 'none'` (the provider's redirect may
 * arrive without the host's session cookie); `state` protects it. When the account is known, the outcome is a
 * redirect to its page with the result as a notice (so reloading that page never replays the callback); a callback
 * that names no known sign-in is a page with words and a fix.
 */
import { ROUTE_PATHS } from '../admin/admin-paths';
import type { LoggerPort, RouteDefinition } from '../ports/host';
import { toPluginError } from '../errors';
import { withStringRequest } from '../string-request';
import type { AuthorizationService } from './authorization-service';
import { noticeQuery } from '../admin/notices';
import { connectFailedPage } from './callback-page';

/** Route id and path as declared in plugin.json. */
export const CALLBACK_ROUTE = { id: 'oauth2-mail.callback', method: 'GET', path: ROUTE_PATHS.callback } as const;

/**
 * The callback route.
 * @param authorization - completes Connect
 * @param accountsUrl - the account screen's URL (the "back" link), read per request
 * @param logger - failures are logged with their code only
 */
export function callbackRoute(
  authorization: Pick<AuthorizationService, 'complete'>,
  accountsUrl: string | (() => string),
  logger: LoggerPort,
): RouteDefinition {
  return withStringRequest({
    ...CALLBACK_ROUTE,
    auth: 'none',
    async handle(request) {
      const accountsPath = typeof accountsUrl === 'function' ? accountsUrl() : accountsUrl;
      const { state, code, error, error_description, iss } = request.query;
      try {
        const result = await authorization.complete(
          { state, code, error, error_description, iss },
          request.actor?.id ?? null,
        );
        return { kind: 'redirect', location: `${ROUTE_PATHS.account(result.accountId)}${noticeQuery('connected')}` };
      } catch (thrown) {
        const failure = toPluginError(thrown);
        logger.warn('oauth2-mail: Connect callback refused', { code: failure.code });
        const accountId = failure.details.accountId;
        if (typeof accountId !== 'string' || accountId.length === 0) return connectFailedPage(thrown, accountsPath);
        const notice =
          failure.code === 'ERR_STATE_REPLAYED'
            ? noticeQuery('connect_link_used')
            : noticeQuery('connect_failed', { code: failure.code });
        return { kind: 'redirect', location: `${ROUTE_PATHS.account(accountId)}${notice}` };
      }
    },
  });
}
