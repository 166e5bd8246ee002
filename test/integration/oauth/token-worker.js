// A host process in miniature for the N-process refresh test: the OAuth core over knex on a shared database,
// compiled by the test with tsc (ts-node is not installed). Protocol over IPC: -> {ready}, <- {go}, -> {result}.
'use strict';
const { createHash } = require('node:crypto');
const path = require('node:path');

const build = process.env.O2M_BUILD_DIR;
const load = (file) => require(path.join(build, file));
const { createKnex } = load('host/create-knex.js');
const { createKnexRepositories } = load('adapters/knex/knex-repositories.js');
const { SimpleOAuth2Client } = load('adapters/simple-oauth2/simple-oauth2-client.js');
const { createOAuthServices } = load('plugin/oauth/oauth-services.js');
const { parseConfig } = load('plugin/config.js');
const { systemClock } = load('plugin/ports/clock.js');
const { createTestSecrets } = load('test/helpers/test-secrets.js');
const { CapturingLogger, FakeMailFetcher, MemoryNotify } = load('test/unit/oauth/fakes.js');

const sha = (value) => createHash('sha256').update(value).digest('hex');

async function main() {
  const knex = createKnex(process.env.O2M_DB_URL);
  const repositories = createKnexRepositories({
    knex,
    secrets: createTestSecrets(Buffer.from(process.env.O2M_SECRET_KEY, 'base64')),
  });
  const services = createOAuthServices({
    repositories,
    notify: new MemoryNotify(),
    logger: new CapturingLogger(),
    clock: systemClock,
    oauthClient: new SimpleOAuth2Client({ caCertPem: process.env.O2M_CA_PEM, timeoutMs: 10_000 }),
    mailFetcher: new FakeMailFetcher(() => false),
    redirectUri: 'http://127.0.0.1:9/plugins/oauth2-mail/callback',
    config: parseConfig({}),
  });
  // Warm up the pool so that "go" measures only the token request race.
  await repositories.tokens.find(process.env.O2M_ACCOUNT_ID);
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  try {
    const grant = await services.tokenService.getAccessToken(process.env.O2M_ACCOUNT_ID);
    process.send({ type: 'result', pid: process.pid, tokenSha: sha(grant.accessToken), expiresAt: grant.expiresAt });
  } catch (error) {
    process.send({ type: 'result', pid: process.pid, error: { code: error.code, message: error.message } });
  } finally {
    await knex.destroy();
  }
}

main().catch((error) => {
  process.send({
    type: 'result',
    pid: process.pid,
    error: { code: error.code ?? 'ERR_INTERNAL', message: error.message },
  });
  process.exitCode = 1;
});
