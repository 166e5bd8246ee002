// Child process of processes.test.ts: one "host process" sharing the test database with others.
// argv[2] is the directory where the test transpiled the real TypeScript adapters (transpile-for-child.ts).
'use strict';
const { join } = require('node:path');

const root = process.argv[2];
const { createKnex } = require(join(root, 'host/create-knex.js'));
const { createKnexRepositories } = require(join(root, 'adapters/knex/knex-repositories.js'));
const { createTestSecrets } = require(join(root, 'test/helpers/test-secrets.js'));

async function main() {
  const [url, accountId, owner, increments, keyHex] = process.argv.slice(3);
  const knex = createKnex(url);
  const repos = createKnexRepositories({ knex, secrets: createTestSecrets(Buffer.from(keyHex, 'hex')) });
  await repos.tokens.find(accountId); // connection open, ready to write
  // Barrier: the parent says "go" once every process is ready, so the writes really overlap.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  let conflicts = 0;
  for (let i = 0; i < Number(increments); i++) {
    for (;;) {
      const current = await repos.tokens.find(accountId);
      const written = await repos.tokens.compareAndSwap(accountId, current.version, {
        accessToken: `${owner}-${i}`,
        accessTokenExpiresAt: 1,
        refreshToken: current.refreshToken,
        scope: null,
        at: Date.now(),
      });
      if (written) break;
      conflicts++;
    }
  }
  await knex.destroy();
  process.stdout.write(`${JSON.stringify({ conflicts })}\n`);
  process.stdin.destroy();
}

main().catch((error) => {
  process.stderr.write(`${error && error.code ? error.code + ': ' : ''}${error && error.stack}\n`);
  process.exit(1);
});
