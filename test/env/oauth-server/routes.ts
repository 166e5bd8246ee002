import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors as oidcErrors } from 'oidc-provider';
import type { ServerRuntime } from './context';
import { handleControl } from './control-api';
import { send, sendJson } from './http';
import { handleInteraction } from './interactions';
import { unpadBearerHeader } from './long-access-tokens';
import { clientAuthPaths, handleClientAuthEndpoint } from './token-endpoint';

/**
 * oidc-provider ignores offline_access unless prompt=consent is sent (OpenID Connect asks for consent to offline
 * access); Entra ID issues a refresh token for offline_access whatever the prompt: add consent (auto-granted).
 */
function keepOfflineAccess(req: IncomingMessage, origin: string): void {
  const url = new URL(req.url ?? '/', origin);
  const scopes = String(url.searchParams.get('scope') ?? '').split(' ');
  if (!scopes.includes('offline_access')) return;
  const prompts = new Set(
    String(url.searchParams.get('prompt') ?? '')
      .split(' ')
      .filter(Boolean),
  );
  if (prompts.has('consent') || prompts.has('none')) return;
  prompts.add('consent');
  url.searchParams.set('prompt', [...prompts].join(' '));
  req.url = `${url.pathname}${url.search}`;
}

/** Every request: the control API, the interactions, the client-authenticated endpoints, then oidc-provider. */
export function requestHandler(runtime: ServerRuntime): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { ctx, forward } = runtime;
  const { mountPath, origin } = ctx;
  const clientAuthenticated = clientAuthPaths(mountPath);
  return async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', origin);
      if (pathname.startsWith('/__test/')) {
        await handleControl(runtime, req, res, pathname);
        return;
      }
      if (pathname.startsWith('/interaction/')) {
        await handleInteraction(runtime, req, res, pathname);
        return;
      }
      if (mountPath && pathname !== mountPath && !pathname.startsWith(`${mountPath}/`)) {
        sendJson(res, 404, { error: 'not_found', error_description: `no route ${pathname}` });
        return;
      }
      if (req.method === 'POST' && clientAuthenticated.has(pathname)) {
        await handleClientAuthEndpoint(runtime, req, res, pathname);
        return;
      }
      if (ctx.profileName === 'microsoft' && req.method === 'GET' && pathname === `${mountPath}/auth`)
        keepOfflineAccess(req, origin);
      if (ctx.config.accessTokenLength > 0) unpadBearerHeader(req);
      forward(req, res);
    } catch (error) {
      const err = error as Error | undefined;
      console.error('oauth-server: request failed:', err?.name, err?.message);
      if (!res.headersSent) {
        const status = error instanceof oidcErrors.SessionNotFound ? 400 : 500;
        send(
          res,
          status,
          'text/plain; charset=utf-8',
          status === 400 ? 'interaction session not found' : 'internal error',
        );
      } else {
        res.destroy();
      }
    }
  };
}
