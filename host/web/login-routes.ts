/**
 * GET/POST /login and POST /logout. The login form is protected by a pre-session CSRF token
 * (double submit: a `login_csrf` cookie and the same value in the form), compared timing-safe.
 * Failed sign-ins are throttled per account and client address (auth/sign-in-throttle.ts); the answer is the same
 * whether or not the account exists.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPluginError, PluginError } from '../../plugin/index';
import type { FailureReport, SignInAttempt } from '../auth/sign-in-throttle';
import { MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH } from '../auth/user-store';
import { randomToken, safeEqual } from '../auth/tokens';
import { html } from '../../lib/html';
import { serializeCookie } from './cookies';
import { safeNext } from './next-path';
import { checkCsrf, requireUser, SESSION_COOKIE, submittedCsrf } from './request-auth';
import { SESSION_TTL_MS } from '../auth/session-store';
import type { WebContext } from './web-context';

const LOGIN_CSRF_COOKIE = 'login_csrf';

/** Why a `next` was refused, for the sign-in form and the error page. */
const NEXT_REFUSED = 'next: the page to open after signing in must be a path on this helpdesk; it was ignored.';

/** The `next` of a request: absent, a path on this helpdesk, or refused. */
type NextPath = { readonly path?: string; readonly refused: boolean };

/** The session notice after a sign-in that follows failed ones. */
function failedSignInNotice(report: FailureReport): string {
  const since = `${new Date(report.since).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const attempts = report.failures === 1 ? 'attempt' : 'attempts';
  return `${report.failures} failed sign-in ${attempts} since ${since} before this one.`;
}

/** Words naming an overlong sign-in field, or undefined. */
function overlongField(email: string, password: string): string | undefined {
  if (email.length > MAX_EMAIL_LENGTH) return `email: at most ${MAX_EMAIL_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password: at most ${MAX_PASSWORD_LENGTH} characters.`;
  return undefined;
}

function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

/**
 * Registers the sign-in and sign-out routes.
 * @param app - the fastify instance
 * @param ctx - the web context
 */
export function registerLoginRoutes(app: FastifyInstance, ctx: WebContext): void {
  const nextPath = (value: unknown): NextPath => {
    if (value === undefined || value === '') return { refused: false };
    const path = safeNext(value, ctx.publicBaseUrl());
    return path === undefined ? { refused: true } : { path, refused: false };
  };
  const cookieOptions = { httpOnly: true, sameSite: 'Lax' as const, secure: ctx.secureCookies };

  const sendForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { readonly next?: string; readonly email?: string; readonly error?: string; readonly status?: number },
  ) => {
    const token = randomToken();
    void reply.header(
      'set-cookie',
      serializeCookie(LOGIN_CSRF_COOKIE, token, { ...cookieOptions, path: '/login', maxAge: 3600 }),
    );
    return ctx.sendPage(request, reply, {
      title: 'Sign in',
      status: options.status,
      body: html`${options.error ? html`<p class="error-text" role="alert">${options.error}</p>` : ''}
<form class="login" method="post" action="/login">
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${options.next ?? ''}">
<label>Email <input name="email" type="email" autocomplete="username" required value="${options.email ?? ''}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
    });
  };

  app.get('/login', async (request, reply) => {
    const next = nextPath((request.query as Record<string, unknown>).next);
    if (next.refused) {
      if (request.hostSession) throw new PluginError('ERR_INPUT_INVALID', NEXT_REFUSED, { field: 'next' });
      return sendForm(request, reply, { error: NEXT_REFUSED, status: 400 });
    }
    if (request.hostSession) return reply.redirect(next.path ?? '/', 303);
    return sendForm(request, reply, { next: next.path });
  });

  app.post('/login', async (request, reply) => {
    if (!safeEqual(submittedCsrf(request), request.hostCookies[LOGIN_CSRF_COOKIE]))
      throw new PluginError(
        'ERR_CSRF',
        'The sign-in form was stale or did not come from this site; reload it and try again.',
      );
    const email = field(request.body, 'email');
    const password = field(request.body, 'password');
    const next = nextPath(field(request.body, 'next'));
    // Refused before the password is checked: nothing is tried, no session is opened.
    if (next.refused) return sendForm(request, reply, { email, error: NEXT_REFUSED, status: 400 });
    const tooLong = overlongField(email, password);
    if (tooLong) return sendForm(request, reply, { next: next.path, error: tooLong, status: 400 });
    let attempt: SignInAttempt;
    try {
      attempt = await ctx.signInThrottle.begin(email, request.ip);
    } catch (error) {
      if (!isPluginError(error) || error.code !== 'ERR_RATE_LIMITED') throw error;
      ctx.logger.warn({ email, address: request.ip }, 'sign-in refused: too many failed sign-ins');
      void reply.header('retry-after', String(error.details.retryAfterSeconds));
      return sendForm(request, reply, { next: next.path, email, error: error.message, status: 429 });
    }
    const user = await ctx.users.authenticate(email, password);
    if (!user) {
      ctx.logger.warn({ email, address: request.ip }, 'sign-in failed');
      return sendForm(request, reply, { next: next.path, email, error: 'Wrong email or password.', status: 401 });
    }
    const failed = await ctx.signInThrottle.succeeded(attempt);
    if (failed) ctx.logger.warn({ userId: user.id, failures: failed.failures }, 'signed in after failed sign-ins');
    const { token } = await ctx.sessions.create(user.id, failed ? failedSignInNotice(failed) : undefined);
    void reply.header(
      'set-cookie',
      serializeCookie(LOGIN_CSRF_COOKIE, '', { ...cookieOptions, path: '/login', maxAge: 0 }),
    );
    void reply.header(
      'set-cookie',
      serializeCookie(SESSION_COOKIE, token, { ...cookieOptions, path: '/', maxAge: SESSION_TTL_MS / 1000 }),
    );
    ctx.logger.info({ userId: user.id }, 'signed in');
    return reply.redirect(next.path ?? (user.role === 'admin' ? '/' : '/tickets'), 303);
  });

  app.post('/logout', async (request, reply) => {
    const session = requireUser(request, reply);
    if (!session) return reply;
    checkCsrf(request, session);
    await ctx.sessions.destroy(request.hostCookies[SESSION_COOKIE]);
    void reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { ...cookieOptions, path: '/', maxAge: 0 }));
    return reply.redirect('/login', 303);
  });
}
