// The endpoints where clients authenticate (token, introspection, revocation): counted, faulted, and accepting
// client_secret_post as well as client_secret_basic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as querystring from 'node:querystring';
import type { ServerRuntime } from './context';
import { readBody, replayRequest } from './http';
import { padTokenAnswers, unpadAccessToken } from './long-access-tokens';
import { applyFault } from './token-faults';

/** The paths handled here (below the mount path). */
export function clientAuthPaths(mountPath: string): ReadonlySet<string> {
  return new Set([`${mountPath}/token`, `${mountPath}/token/introspection`, `${mountPath}/token/revocation`]);
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
  if (isForm) params = normalizeClientAuth(req, params);
  if (isForm && typeof params.token === 'string') params = { ...params, token: unpadAccessToken(params.token) };
  const body = isForm ? Buffer.from(querystring.stringify(params)) : raw;

  if (pathname === `${ctx.mountPath}/token`) {
    ctx.stats.tokenRequests += 1;
    if (params.grant_type === 'refresh_token') ctx.stats.refreshRequests += 1;
    if (params.grant_type === 'authorization_code') ctx.stats.codeRequests += 1;
    const fault = ctx.faults.take();
    if (fault && (await applyFault(ctx, fault, req, res))) return;
    if (ctx.config.accessTokenLength > 0) padTokenAnswers(res, ctx.config.accessTokenLength);
  } else if (pathname.endsWith('/introspection')) {
    ctx.stats.introspectionRequests += 1;
  } else {
    ctx.stats.revocationRequests += 1;
  }
  forward(replayRequest(req, body), res);
}
