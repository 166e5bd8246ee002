import type { OutgoingHttpHeaders } from 'node:http';
import * as querystring from 'node:querystring';
import { CookieJar } from './cookie-jar';
import { httpRequest } from './http-request';

export interface CompleteAuthorizationOptions {
  login: string;
  password: string;
  caCertPem: string;
  /** Press "Cancel" on the sign-in page instead: the result carries error=access_denied. */
  deny?: boolean;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The visible text of an error page, shortened, for the message of the Error thrown. */
function pageSummary(html: string): string {
  const text = html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return decodeEntities(text).slice(0, 400);
}

/**
 * The browser's part of an authorization request over HTTP (redirects, cookies, the login form,
 * automatic consent). Resolves to the final redirect to the client (redirect_uri with code + state,
 * or error); rejects if the sign-in is refused or the server shows an error page.
 * Login page selectors for Chromium: #login, #password, #submit (Cancel: #abort); consent is automatic.
 */
export async function completeAuthorization(
  authorizationUrl: string,
  options: CompleteAuthorizationOptions,
): Promise<string> {
  const { login, password, caCertPem, deny = false } = options ?? {};
  const start = new URL(authorizationUrl);
  const jar = new CookieJar();
  let url = start;
  let method = 'GET';
  let body: string | undefined;
  let loginAttempts = 0;
  for (let hop = 0; hop < 30; hop += 1) {
    const headers: OutgoingHttpHeaders = { accept: 'text/html' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const res = await httpRequest(url.href, { method, headers, body, ca: caCertPem });
    jar.store(res.headers['set-cookie'] ?? [], url);

    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      const next = new URL(res.headers.location, url);
      // Leaving the authorization server: this is the redirect to the client.
      if (next.origin !== start.origin) return next.href;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = res.body.toString('utf8');
    if (res.status === 200 && html.includes('id="login-form"')) {
      if (loginAttempts > 0)
        throw new Error(`completeAuthorization: the authorization server rejected the sign-in of ${login}`);
      loginAttempts += 1;
      const formId = deny ? 'abort-form' : 'login-form';
      const action = new RegExp(`<form[^>]*id="${formId}"[^>]*action="([^"]+)"`).exec(html)?.[1];
      if (!action) throw new Error(`completeAuthorization: no ${formId} on the sign-in page`);
      url = new URL(decodeEntities(action), url);
      method = 'POST';
      body = deny ? '' : querystring.stringify({ login, password });
      continue;
    }
    throw new Error(
      `completeAuthorization: the authorization server answered ${res.status} at ${url.origin}${url.pathname}: ${pageSummary(html)}`,
    );
  }
  throw new Error('completeAuthorization: too many redirects');
}
