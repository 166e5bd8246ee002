// The /__test control API (loopback only): what tests change or read while the server runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { usersMatching } from '../users';
import type { ServerRuntime, TokenStats } from './context';
import { isLoopback, readBody, sendJson } from './http';
import { clientMetadata } from './provider';
import { isTokenFaultMode, TOKEN_FAULT_MODES } from './token-faults';

const optionalNumber = (value: unknown) => (value === undefined || value === null ? undefined : Number(value));

export async function handleControl(
  { ctx, provider }: ServerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  if (!isLoopback(req)) {
    sendJson(res, 403, { error: 'loopback only' });
    return;
  }
  const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
  let input: Record<string, unknown> = {};
  if (body.length) {
    try {
      input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      sendJson(res, 400, { error: 'body must be JSON' });
      return;
    }
  }
  switch (`${req.method} ${pathname}`) {
    case 'GET /__test/stats':
      sendJson(res, 200, ctx.stats);
      return;
    case 'POST /__test/reset':
      for (const key of Object.keys(ctx.stats) as Array<keyof TokenStats>) ctx.stats[key] = 0;
      ctx.faults.clear();
      ctx.devicePolling.reset();
      sendJson(res, 200, { ok: true });
      return;
    case 'POST /__test/revoke-user': {
      const { email } = input;
      if (typeof email !== 'string' || !email) {
        sendJson(res, 400, { error: 'email is required' });
        return;
      }
      const accounts = usersMatching(ctx.users.values(), email);
      if (accounts.length === 0) {
        sendJson(res, 404, { error: `unknown user ${email}` });
        return;
      }
      const revokedGrants = ctx.grants.revokeAccounts(new Set(accounts.map((u) => u.login.toLowerCase())));
      sendJson(res, 200, { revokedGrants });
      return;
    }
    case 'POST /__test/fault': {
      const { mode } = input;
      if (!isTokenFaultMode(mode)) {
        sendJson(res, 400, { error: `mode must be one of ${TOKEN_FAULT_MODES.join(', ')}` });
        return;
      }
      const count = input.count === undefined ? 1 : Number(input.count);
      if (!Number.isInteger(count) || count < 0) {
        sendJson(res, 400, { error: 'count must be a non-negative integer' });
        return;
      }
      const fault = {
        mode,
        delayMs: optionalNumber(input.delayMs),
        status: optionalNumber(input.status),
        value: input.value,
      };
      ctx.faults.set(fault, count);
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'POST /__test/access-token-ttl': {
      const seconds = Number(input.seconds);
      if (!Number.isInteger(seconds) || seconds < 1) {
        sendJson(res, 400, { error: 'seconds must be a positive integer' });
        return;
      }
      ctx.accessTokenTtl = seconds;
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'POST /__test/redirect-uris': {
      const clients = ctx.config.clients;
      const client = clients.find((c) => c.clientId === (input.clientId ?? clients[0]?.clientId));
      if (!client) {
        sendJson(res, 404, { error: 'unknown client' });
        return;
      }
      const { redirectUris } = input;
      if (!Array.isArray(redirectUris) || redirectUris.some((u) => typeof u !== 'string')) {
        sendJson(res, 400, { error: 'redirectUris must be an array of strings' });
        return;
      }
      client.redirectUris = redirectUris as string[];
      await provider.Client.adapter.upsert(client.clientId, clientMetadata(client));
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'POST /__test/app-mailboxes': {
      const clients = [...ctx.config.clients, ...ctx.config.serviceAccounts];
      const client = clients.find((c) => c.clientId === (input.clientId ?? clients[0]?.clientId));
      const { mailboxes } = input;
      if (!client) {
        sendJson(res, 404, { error: 'unknown client' });
        return;
      }
      if (!Array.isArray(mailboxes) || mailboxes.length > 2 || mailboxes.some((m) => typeof m !== 'string')) {
        sendJson(res, 400, { error: 'mailboxes must be an array of at most two addresses' });
        return;
      }
      ctx.appMailboxes.set(client.clientId, mailboxes as string[]);
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'POST /__test/device-flow': {
      const interval = optionalNumber(input.intervalSeconds);
      const ttl = optionalNumber(input.ttlSeconds);
      const slowDown = optionalNumber(input.slowDown);
      for (const value of [interval, ttl, slowDown]) {
        if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
          sendJson(res, 400, { error: 'intervalSeconds, ttlSeconds and slowDown must be non-negative integers' });
          return;
        }
      }
      if (interval !== undefined) ctx.deviceFlow.intervalSeconds = interval;
      if (ttl !== undefined) ctx.deviceFlow.ttlSeconds = Math.max(1, ttl);
      if (slowDown !== undefined) ctx.devicePolling.forceSlowDown(slowDown);
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'GET /__test/device-polls':
      sendJson(res, 200, ctx.devicePolling.polls);
      return;
    default:
      sendJson(res, 404, { error: 'unknown control endpoint' });
  }
}
