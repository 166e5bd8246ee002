import type { OutgoingHttpHeaders } from 'node:http';
import * as querystring from 'node:querystring';
import { CookieJar } from './cookie-jar';
import { httpRequest } from './http-request';

export interface CompleteDeviceAuthorizationOptions {
  login: string;
  password: string;
  caCertPem: string;
  /** Press "Abort" on the confirmation page instead: the device code's poll then answers access_denied. */
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

/** The action and the hidden fields of the form with this id. */
function formOf(html: string, id: string): { action: string; fields: Record<string, string> } | null {
  const start = html.indexOf(`id="${id}"`);
  if (start === -1) return null;
  const open = html.lastIndexOf('<form', start);
  const end = html.indexOf('</form>', start);
  const form = html.slice(open, end);
  const action = /action="([^"]+)"/.exec(form)?.[1];
  if (!action) return null;
  const fields: Record<string, string> = {};
  for (const input of form.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields[name] = decodeEntities(value ?? '');
  }
  return { action: decodeEntities(action), fields };
}

/**
 * The user's part of the device authorization grant over HTTP, on another "device": open the verification page,
 * enter the user code, confirm (or abort), sign in, consent (automatic). Resolves when the provider shows its success
 * page (or, with `deny`, once the abort was accepted); rejects when the code is refused or the sign-in fails.
 * Page ids: #device-input, #device-confirm, #device-success, #device-error (oauth-server/login-page.ts).
 */
export async function completeDeviceAuthorization(
  verificationUri: string,
  userCode: string,
  options: CompleteDeviceAuthorizationOptions,
): Promise<void> {
  const { login, password, caCertPem, deny = false } = options;
  const jar = new CookieJar();
  let url = new URL(verificationUri);
  let method = 'GET';
  let body: string | undefined;
  let step: 'code' | 'confirm' | 'login' | 'done' = 'code';
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
      url = new URL(res.headers.location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = res.body.toString('utf8');
    const next = (form: { action: string; fields: Record<string, string> }, extra: Record<string, string>) => {
      url = new URL(form.action, url);
      method = 'POST';
      body = querystring.stringify({ ...form.fields, ...extra });
    };
    if (html.includes('id="device-success"')) return;
    if (html.includes('id="device-input"')) {
      // oidc-provider answers an abort with the code page again: the device code now answers access_denied.
      if (step === 'login' && deny) return;
      if (step !== 'code') throw new Error(`completeDeviceAuthorization: the code ${userCode} was not accepted`);
      const form = formOf(html, 'op.deviceInputForm');
      if (!form) throw new Error('completeDeviceAuthorization: no code form on the verification page');
      next(form, { user_code: userCode });
      step = 'confirm';
      continue;
    }
    if (html.includes('id="device-confirm"')) {
      const form = formOf(html, 'op.deviceConfirmForm');
      if (!form) throw new Error('completeDeviceAuthorization: no confirmation form');
      next(form, deny ? { abort: 'yes' } : {});
      step = 'login';
      continue;
    }
    if (html.includes('id="login-form"')) {
      if (step === 'done') throw new Error(`completeDeviceAuthorization: the sign-in of ${login} was rejected`);
      const action = /<form[^>]*id="login-form"[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error('completeDeviceAuthorization: no login form');
      url = new URL(decodeEntities(action), url);
      method = 'POST';
      body = querystring.stringify({ login, password });
      step = 'done';
      continue;
    }
    throw new Error(
      `completeDeviceAuthorization: unexpected answer ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`,
    );
  }
  throw new Error('completeDeviceAuthorization: too many redirects');
}
