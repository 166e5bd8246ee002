// The endpoints where clients authenticate (token, device authorization, introspection, revocation): counted,
// faulted, and accepting client_secret_post as well as client_secret_basic. What oidc-provider leaves to the
// deployment is done here: slow_down for a device code polled too fast, the service account of a JWT bearer
// assertion (Google's request names no client), Entra's rule that app tokens ask for `<resource>/.default`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as querystring from 'node:querystring';
import type { ServerContext, ServerRuntime } from './context';
import { DEVICE_CODE_GRANT } from './device-authorization';
import { readBody, replayRequest, sendJson } from './http';
import { JWT_BEARER, serviceAccountOf } from './jwt-bearer-grant';
import { padTokenAnswers, unpadAccessToken } from './long-access-tokens';
import { microsoftError } from './token-errors';
import { applyFault } from './token-faults';

/** The paths handled here (below the mount path). */
export function clientAuthPaths(mountPath: string): ReadonlySet<string> {
  return new Set([
    `${mountPath}/token`,
    `${mountPath}/device/auth`,
    `${mountPath}/token/introspection`,
    `${mountPath}/token/revocation`,
  ]);
}

/**
 * A request the server answers itself, before oidc-provider: a secret next to a client assertion (one
 * credential per request), a device code polled too fast, an Entra app token asked for without `.default`.
 * @returns true when it answered
 */
function answeredHere(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: querystring.ParsedUrlQuery,
): boolean {
  if (params.client_assertion !== undefined && (params.client_secret !== undefined || req.headers.authorization)) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'A client assertion must not be sent with a client secret (not even an empty one).',
    });
    return true;
  }
  if (params.grant_type === DEVICE_CODE_GRANT) {
    ctx.stats.deviceCodeRequests += 1;
    const verdict = ctx.devicePolling.poll(
      String(params.device_code ?? ''),
      Date.now(),
      ctx.deviceFlow.intervalSeconds,
    );
    if (verdict === 'slow_down') {
      sendJson(res, 400, {
        error: 'slow_down',
        error_description: 'The device code was polled too often; wait longer.',
      });
      return true;
    }
  }
  if (params.grant_type === 'client_credentials') {
    ctx.stats.clientCredentialsRequests += 1;
    const scopes = String(params.scope ?? '')
      .split(' ')
      .filter(Boolean);
    const appScope = scopes.length === 1 && ctx.profile.appScopes[scopes[0]!] !== undefined;
    if (ctx.profileName === 'microsoft' && !appScope) {
      sendJson(res, 400, microsoftError(ctx.origin, 'invalid_scope', 'invalid_scope'));
      return true;
    }
  }
  return false;
}

/** Moves client_secret_post credentials into a Basic header, so oidc-provider sees one method for both. */
function normalizeClientAuth(req: IncomingMessage, params: querystring.ParsedUrlQuery): querystring.ParsedUrlQuery {
  if (params.client_secret === undefined || req.headers.authorization) return params;
  const { client_id: id, client_secret: secret, ...rest } = params;
  const credentials = `${encodeURIComponent(String(id ?? ''))}:${encodeURIComponent(String(secret))}`;
  req.headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  return rest;
}

export async function handleClientAuthEndpoint(
  { ctx, forward }: ServerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const raw = await readBody(req);
  let params = querystring.parse(raw.toString('utf8'));
  const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const isToken = pathname === `${ctx.mountPath}/token`;
  if (isToken) {
    ctx.stats.tokenRequests += 1;
    if (params.grant_type === 'refresh_token') ctx.stats.refreshRequests += 1;
    if (params.grant_type === 'authorization_code') ctx.stats.codeRequests += 1;
  } else if (pathname.endsWith('/introspection')) {
    ctx.stats.introspectionRequests += 1;
  } else if (pathname.endsWith('/revocation')) {
    ctx.stats.revocationRequests += 1;
  }
  if (isForm && params.client_assertion !== undefined) ctx.stats.assertionRequests += 1;
  if (isForm && !pathname.endsWith('/introspection') && answeredHere(ctx, req, res, params)) return;

  if (isForm) params = normalizeClientAuth(req, params);
  if (isForm && typeof params.token === 'string') params = { ...params, token: unpadAccessToken(params.token) };
  if (isForm && params.grant_type === JWT_BEARER && params.client_id === undefined) {
    const account = serviceAccountOf(ctx, params.assertion);
    if (account) params = { ...params, client_id: account.clientId };
  }
  // oidc-provider ignores offline_access unless consent is prompted for; Entra issues the refresh token anyway.
  const offline = String(params.scope ?? '')
    .split(' ')
    .includes('offline_access');
  if (isForm && pathname.endsWith('/device/auth') && offline && params.prompt === undefined)
    params = { ...params, prompt: 'consent' };
  const body = isForm ? Buffer.from(querystring.stringify(params)) : raw;

  if (isToken) {
    const fault = ctx.faults.take();
    if (fault && (await applyFault(ctx, fault, req, res))) return;
    if (ctx.config.accessTokenLength > 0) padTokenAnswers(res, ctx.config.accessTokenLength);
  }
  forward(replayRequest(req, body), res);
}
