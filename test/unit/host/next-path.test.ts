/**
 * `next` after sign-in: only a path on the helpdesk's own origin, read as a browser reads it (browsers drop TAB, CR
 * and LF from URLs and take `\` for `/`, so `/\t/evil` and `/\evil` are `//evil`, another host).
 */
import { safeNext } from '../../../host/web/next-path';

const ORIGIN = 'http://127.0.0.1:3000';

describe('safeNext', () => {
  it.each([
    ['/\t/127.0.0.2:9999/', 'TAB between the slashes'],
    ['/\r/127.0.0.2:9999/', 'CR between the slashes'],
    ['/\n/127.0.0.2:9999/', 'LF between the slashes'],
    ['/\t\\127.0.0.2:9999/', 'TAB and backslash'],
    ['/\\127.0.0.2:9999/', 'backslash'],
    ['/\\/127.0.0.2:9999/', '/\\/'],
    ['//127.0.0.2:9999/', 'scheme-relative'],
    ['/.//127.0.0.2:9999/', 'a dot segment that leaves //'],
    ['/%2e/%2e//127.0.0.2:9999/', 'encoded dot segments that leave //'],
    ['/x/..//127.0.0.2:9999/', 'a double-dot segment that leaves //'],
    ['https://127.0.0.2:9999/', 'an absolute URL'],
    ['http://127.0.0.1:3000/tickets', 'an absolute URL, even of the same origin'],
    ['javascript:alert(1)', 'javascript:'],
    ['\t/tickets', 'a leading TAB'],
    [' /tickets', 'a leading space'],
    ['/tick\u0000ets', 'NUL'],
    ['/tickets\u007f', 'DEL'],
    ['/tickets\u0085', 'a C1 control'],
    ['tickets', 'a relative path'],
    ['', 'empty'],
    [`/${'a'.repeat(5000)}`, 'longer than any link the helpdesk makes'],
  ])('refuses %j (%s)', (value) => {
    expect(safeNext(value, ORIGIN)).toBeUndefined();
  });

  it('refuses what is not one string', () => {
    expect(safeNext(['/a', '/b'], ORIGIN)).toBeUndefined();
    expect(safeNext(undefined, ORIGIN)).toBeUndefined();
    expect(safeNext(42, ORIGIN)).toBeUndefined();
  });

  it.each([
    ['/', '/'],
    ['/tickets?page=2', '/tickets?page=2'],
    ['/plugins/oauth2-mail/accounts/7#events', '/plugins/oauth2-mail/accounts/7#events'],
    ['/x?to=//elsewhere', '/x?to=//elsewhere'],
    // Encoded slashes, TABs and backslashes stay encoded: a path segment on this helpdesk, not an authority.
    ['/%2F/127.0.0.2:9999/', '/%2F/127.0.0.2:9999/'],
    ['/%09/127.0.0.2:9999/', '/%09/127.0.0.2:9999/'],
    ['/%5C127.0.0.2:9999/', '/%5C127.0.0.2:9999/'],
    // What a browser would send for it: percent-encoded, so the Location header is plain ASCII.
    ['/\u3002', '/%E3%80%82'],
    ['/a/./b/../c', '/a/c'],
  ])('accepts %j as %j', (value, expected) => {
    expect(safeNext(value, ORIGIN)).toBe(expected);
  });
});
