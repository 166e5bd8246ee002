/** Matching request paths against plugin route patterns such as `/accounts/:id/connect`. */

/**
 * Matches `path` against `pattern`; `:name` segments match one non-empty segment.
 * @param pattern - the declared route path
 * @param path - the request path below the plugin's mount point (no query string)
 * @returns the decoded parameters, or null when it does not match
 */
export function matchRoutePath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const expected = want[i] ?? '';
    const actual = got[i] ?? '';
    if (expected.startsWith(':')) {
      if (actual === '') return null;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}
