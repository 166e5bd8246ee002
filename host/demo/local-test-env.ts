/**
 * Loads the local test environment (fixtures/test-env: the local OAuth2 server and the private Dovecot) at run
 * time, found upwards from here so it works from the sources and from dist/. It is plain JavaScript outside the
 * compiled tree, which is why it is required rather than imported.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TestEnv from '../../fixtures/test-env';

/** The fixtures/test-env module. */
export type LocalTestEnv = typeof TestEnv;

/**
 * @param from - where to start looking (default: this file's folder)
 * @throws Error when fixtures/test-env is not above `from` (an installed package has no fixtures)
 */
export function loadLocalTestEnv(from: string = __dirname): LocalTestEnv {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'fixtures', 'test-env', 'index.js');
    if (existsSync(candidate)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain-JS fixture outside the compiled tree
      return require(candidate) as LocalTestEnv;
    }
    if (dirname(dir) === dir)
      throw new Error('fixtures/test-env was not found: run the demo from a checkout of the oauth2-mail repository.');
  }
}
