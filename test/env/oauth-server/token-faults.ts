// Injected misbehaviour of the token endpoint, so clients can be tested against broken providers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context';
import { send, sendJson } from './http';
import { microsoftError } from './token-errors';

/**
 * How the token endpoint misbehaves for the next N requests:
 * `html` 200 text/html page; `empty` 200 empty body; `500` JSON server_error; `slow` waits `delayMs`
 * (default 30 s) then answers normally, or drops the request if the client gave up (nothing consumed);
 * `expires_in_string` a real answer with expires_in as a string (`value` to choose it, e.g. "abc");
 * `no_access_token` 200 JSON without access_token (nothing consumed); `invalid_client` 401 with the
 * profile's expired-secret error (Microsoft AADSTS7000222). `status` overrides the HTTP status.
 * Fabricated answers never reach oidc-provider, so no refresh token is rotated by them.
 */
export type TokenFaultMode =
  'html' | 'empty' | '500' | 'slow' | 'expires_in_string' | 'no_access_token' | 'invalid_client';

export interface TokenFaultOptions {
  delayMs?: number;
  status?: number;
  value?: unknown;
}

export const TOKEN_FAULT_MODES: readonly TokenFaultMode[] = [
  'html',
  'empty',
  '500',
  'slow',
  'expires_in_string',
  'no_access_token',
  'invalid_client',
];

export function isTokenFaultMode(value: unknown): value is TokenFaultMode {
  return (TOKEN_FAULT_MODES as readonly unknown[]).includes(value);
}

/** One faulted request. */
export interface TokenFault extends TokenFaultOptions {
  mode: TokenFaultMode;
}

/** The fault pending for the next token requests, if any. */
export class TokenFaults {
  private pending: (TokenFault & { remaining: number }) | null = null;

  /** The next `count` token requests get `fault`; 0 clears. */
  set(fault: TokenFault, count: number): void {
    this.pending = count === 0 ? null : { ...fault, remaining: count };
  }

  clear(): void {
    this.pending = null;
  }

  /** The fault for this request (one of the remaining count used up), or null. */
  take(): TokenFault | null {
    if (!this.pending || this.pending.remaining <= 0) return null;
    this.pending.remaining -= 1;
    const { remaining, ...taken } = this.pending;
    if (remaining <= 0) this.pending = null;
    return taken;
  }
}

const UNAVAILABLE_PAGE =
  '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>The service is temporarily unavailable</h1><p>Please try again later.</p></body></html>';

/**
 * Applies `fault` to this token request.
 * @returns true when the fault produced the response itself, false when oidc-provider should answer
 */
export async function applyFault(
  ctx: ServerContext,
  fault: TokenFault,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  switch (fault.mode) {
    case 'html':
      send(res, fault.status ?? 200, 'text/html; charset=utf-8', UNAVAILABLE_PAGE);
      return true;
    case 'empty':
      send(res, fault.status ?? 200, 'application/json; charset=utf-8', '');
      return true;
    case '500':
      sendJson(res, fault.status ?? 500, {
        error: 'server_error',
        error_description: 'injected fault: internal server error',
      });
      return true;
    case 'no_access_token':
      sendJson(res, fault.status ?? 200, {
        token_type: 'Bearer',
        expires_in: ctx.accessTokenTtl,
        scope: ctx.profile.mailScopes[0],
      });
      return true;
    case 'invalid_client': {
      const body =
        ctx.profileName === 'microsoft'
          ? microsoftError(ctx.origin, 'invalid_client', 'secret_expired')
          : { error: 'invalid_client', error_description: 'Unauthorized' };
      sendJson(res, fault.status ?? 401, body);
      return true;
    }
    case 'slow': {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 30000));
      // A client that gave up meanwhile must not have its refresh token consumed behind its back.
      return res.destroyed || req.socket.destroyed;
    }
    case 'expires_in_string':
      rewriteJsonBody(res, (json) => {
        if (json.expires_in !== undefined) json.expires_in = fault.value ?? String(json.expires_in);
      });
      return false;
  }
}

type End = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/** Holds back what oidc-provider writes and lets `edit` change it when it is JSON (anything else passes as is). */
function rewriteJsonBody(res: ServerResponse, edit: (json: Record<string, unknown>) => void): void {
  const { end, write } = res;
  const chunks: Buffer[] = [];
  res.write = ((chunk: string | Uint8Array) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string | Uint8Array));
    res.write = write;
    res.end = end;
    let text = Buffer.concat(chunks).toString('utf8');
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      edit(json);
      text = JSON.stringify(json);
      res.setHeader('content-length', Buffer.byteLength(text));
    } catch {
      // not JSON: passes through untouched
    }
    const callbacks = rest.filter((r) => typeof r === 'function');
    return (end as End).call(res, text, ...callbacks);
  }) as ServerResponse['end'];
}
