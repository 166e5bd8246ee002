/** Small host helpers: the escaping html template, cookie parsing/serialization, log redaction, route patterns. */
import { Writable } from 'node:stream';
import { createLogger, toLoggerPort } from '../../../host/logger';
import { html, trustedHtml } from '../../../lib/html';
import { matchRoutePath } from '../../../host/route-pattern';
import { parseCookies, serializeCookie } from '../../../host/web/cookies';
import { resolvePluginLocation } from '../../../host/web/plugin-routes';

describe('html', () => {
  it('escapes every interpolation, renders arrays item by item, and keeps trustedHtml() fragments', () => {
    const evil = '<script>alert("x")</script>&\'';
    const out = html`<p title="${evil}">${evil}</p>${[evil, html`<b>${evil}</b>`]}${trustedHtml('<i>trusted</i>')}${null}${undefined}${false}${0}`;
    expect(out.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b><i>trusted</i>0',
    );
  });
});

describe('cookies', () => {
  it('parses a Cookie header, first value wins, malformed parts skipped', () => {
    expect(parseCookies('sid=abc; login_csrf="q%20w"; sid=second; bad; =x; broken=%E0%A4%A')).toEqual({
      sid: 'abc',
      login_csrf: 'q w',
    });
    expect(parseCookies(undefined)).toEqual({});
  });

  it('serializes Set-Cookie with the security attributes and refuses header injection', () => {
    expect(
      serializeCookie('sid', 'tok_en-1', { path: '/', httpOnly: true, sameSite: 'Lax', secure: true, maxAge: 60 }),
    ).toBe('sid=tok_en-1; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax');
    expect(serializeCookie('sid', '', { path: '/', maxAge: 0 })).toBe(
      'sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax',
    );
    expect(() => serializeCookie('sid', 'x\r\nSet-Cookie: evil=1', { path: '/' })).toThrow(TypeError);
    expect(() => serializeCookie('s id', 'x', { path: '/' })).toThrow(TypeError);
  });
});

describe('logger', () => {
  it('redacts secret-looking keys at any of the first three levels', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = toLoggerPort(createLogger({ level: 'info', destination }));
    log.child({ plugin: 'demo' }).info('token refreshed', {
      accessToken: 'AT-SECRET',
      password: 'PW-SECRET',
      nested: { refresh_token: 'RT-SECRET', deeper: { clientSecret: 'CS-SECRET' } },
      code: 'ERR_GRANT_INVALID',
      accountId: 'acc-1',
    });
    const text = lines.join('');
    for (const secret of ['AT-SECRET', 'PW-SECRET', 'RT-SECRET', 'CS-SECRET']) expect(text).not.toContain(secret);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: 'token refreshed',
      plugin: 'demo',
      accessToken: '[redacted]',
      code: 'ERR_GRANT_INVALID',
      accountId: 'acc-1',
      nested: { refresh_token: '[redacted]', deeper: { clientSecret: '[redacted]' } },
    });
  });
});

describe('plugin routes', () => {
  it('matches path patterns with parameters', () => {
    expect(matchRoutePath('/accounts/:id/connect', '/accounts/a%2Fb/connect')).toEqual({ id: 'a/b' });
    expect(matchRoutePath('/accounts/:id', '/accounts/')).toBeNull();
    expect(matchRoutePath('/accounts', '/accounts/1')).toBeNull();
    expect(matchRoutePath('/accounts', '/accounts')).toEqual({});
  });

  it('resolves plugin redirects: route paths under the mount, absolute URLs as they are', () => {
    expect(resolvePluginLocation('oauth2-mail', '/accounts/1?notice=x')).toBe(
      '/plugins/oauth2-mail/accounts/1?notice=x',
    );
    expect(resolvePluginLocation('oauth2-mail', '/plugins/oauth2-mail/accounts')).toBe('/plugins/oauth2-mail/accounts');
    expect(resolvePluginLocation('oauth2-mail', 'https://login.example.test/authorize?x=1')).toBe(
      'https://login.example.test/authorize?x=1',
    );
    expect(() => resolvePluginLocation('oauth2-mail', '//evil.example/')).toThrow();
  });
});
