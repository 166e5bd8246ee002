/**
 * Who is asking, and may they: the session from the `sid` cookie, sign-in redirects for pages and
 * 401 for JSON, 403 for non-admins on admin pages, and the CSRF check on every POST.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PluginError } from '../../plugin/index';
import type { Session, SessionStore } from '../auth/session-store';
import { safeEqual } from '../auth/tokens';
import { parseCookies } from './cookies';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'sid';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, loaded by {@link loadSession}. */
    hostSession: Session | null;
    /** The request's cookies, parsed by {@link loadSession}. */
    hostCookies: Record<string, string>;
  }
}

/**
 * True when the client asked for JSON rather than a page.
 * @param request - the request
 */
export function wantsJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  const type = String(request.headers['content-type'] ?? '');
  return (accept.includes('application/json') && !accept.includes('text/html')) || type.includes('application/json');
}

/**
 * Parses the cookies into `request.hostCookies` and loads the session of the `sid` cookie into `request.hostSession`.
 * @param sessions - the session store
 */
export function loadSession(sessions: SessionStore) {
  return async (request: FastifyRequest): Promise<void> => {
    request.hostCookies = parseCookies(request.headers.cookie);
    request.hostSession = await sessions.find(request.hostCookies[SESSION_COOKIE]);
  };
}

/**
 * Sends the signed-out answer when nobody is signed in: a redirect to /login for pages, 401 for JSON.
 * @returns the session, or null when an answer was sent
 */
export function requireUser(request: FastifyRequest, reply: FastifyReply): Session | null {
  if (request.hostSession) return request.hostSession;
  if (wantsJson(request)) {
    void reply.code(401).send({ error: { code: 'ERR_FORBIDDEN', message: 'Sign in first.' } });
  } else {
    const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
    void reply.redirect(`/login${next}`, 303);
  }
  return null;
}

/**
 * Like {@link requireUser}, and throws ERR_FORBIDDEN (403) for a signed-in non-admin.
 * @returns the admin's session, or null when the signed-out answer was sent
 */
export function requireAdmin(request: FastifyRequest, reply: FastifyReply): Session | null {
  const session = requireUser(request, reply);
  if (session && session.user.role !== 'admin')
    throw new PluginError('ERR_FORBIDDEN', 'This page is for administrators.');
  return session;
}

/**
 * The submitted CSRF token: form field `_csrf` or header `x-csrf-token`.
 * @param request - a POST request
 */
export function submittedCsrf(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body._csrf : undefined;
  const value = Array.isArray(field) ? field[0] : field;
  if (typeof value === 'string') return value;
  const header = request.headers['x-csrf-token'];
  return typeof header === 'string' ? header : undefined;
}

/**
 * Checks the session's CSRF token on an unsafe request (timing-safe).
 * @throws PluginError ERR_CSRF (403)
 */
export function checkCsrf(request: FastifyRequest, session: Session): void {
  if (!safeEqual(submittedCsrf(request), session.csrfToken)) throw new PluginError('ERR_CSRF');
}
