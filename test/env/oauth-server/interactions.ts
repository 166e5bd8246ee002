// The user's part of the authorization request: the login page, automatic consent, Cancel.
import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as querystring from 'node:querystring';
import type { InteractionDetails } from 'oidc-provider';
import type { ServerRuntime } from './context';
import { readBody, send } from './http';
import { loginPage } from './login-page';

/** Consent is granted for whatever the client asked, without a page. */
async function autoConsent(
  { provider }: ServerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
): Promise<void> {
  const {
    prompt: { details: missing },
    params,
    session,
  } = details;
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
    if (!grant) throw new Error(`consent: grant ${details.grantId} not found`);
  } else {
    if (!session) throw new Error('consent: no session');
    grant = new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes))
      grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function samePassword(given: string, expected: string): boolean {
  const digest = (value: string) => crypto.createHash('sha256').update(value).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

/** `/interaction/<uid>[/login|/abort]`. */
export async function handleInteraction(
  runtime: ServerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const { ctx, provider } = runtime;
  const [, , uid = '', action] = pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, 'text/plain', 'interaction mismatch');
    return;
  }
  const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'consent') {
      await autoConsent(runtime, req, res, details);
      return;
    }
    send(res, 200, 'text/html; charset=utf-8', loginPage(ctx.profileName, uid, loginHint));
    return;
  }
  if (req.method === 'POST' && action === 'abort') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = querystring.parse((await readBody(req)).toString('utf8'));
    const login = String(form.login ?? '')
      .trim()
      .toLowerCase();
    const user = ctx.users.get(login);
    const ok =
      user !== undefined &&
      typeof user.password === 'string' &&
      typeof form.password === 'string' &&
      samePassword(form.password, user.password);
    if (!ok) {
      const page = loginPage(ctx.profileName, uid, String(form.login ?? ''), 'Invalid login or password.');
      send(res, 200, 'text/html; charset=utf-8', page);
      return;
    }
    const requested = new Set(String(details.params.prompt ?? '').split(' '));
    const result = {
      login: { accountId: user.login.toLowerCase() },
      ...(requested.has('select_account') ? { select_account: {} } : {}),
    };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  send(res, 405, 'text/plain', 'method not allowed');
}
