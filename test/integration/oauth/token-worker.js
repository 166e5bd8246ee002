// A host process in miniature for the N-process refresh test: the plugin built by its composition root
// (plugin/main.ts buildServices) on the test plugin host over a shared database, compiled by the test with tsc
// (ts-node is not installed). Protocol over IPC: -> {ready}, <- {go}, -> {result}.
'use strict';
const { createHash } = require('node:crypto');
const path = require('node:path');
const pino = require('pino');

const build = process.env.O2M_BUILD_DIR;
const load = (file) => require(path.join(build, file));
const { createKnex } = load('host/create-knex.js');
const { buildServices } = load('plugin/main.js');
const { createTestPluginHost } = load('test/helpers/test-plugin-host.js');
const { createTestSecrets } = load('test/helpers/test-secrets.js');

const sha = (value) => createHash('sha256').update(value).digest('hex');

async function main() {
  const knex = createKnex(process.env.O2M_DB_URL);
  const { host } = createTestPluginHost({
    knex,
    secrets: createTestSecrets(Buffer.from(process.env.O2M_SECRET_KEY, 'base64')),
    logger: pino({ level: 'silent' }),
    redirectUri: process.env.O2M_REDIRECT_URI,
    config: { token: { caCertPem: process.env.O2M_CA_PEM, httpTimeoutSeconds: 10 } },
  });
  const { repositories, oauth } = await buildServices(host);
  // Warm up the pool so that "go" measures only the token request race.
  await repositories.tokens.find(process.env.O2M_ACCOUNT_ID);
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  try {
    const grant = await oauth.tokenService.getAccessToken(process.env.O2M_ACCOUNT_ID);
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
