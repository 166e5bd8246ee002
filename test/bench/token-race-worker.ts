/**
 * Child process of the bench: a host process in miniature (the plugin over the bench's SQLite file) that, on "go",
 * asks for one account's access token `requests` times at once. Protocol: <- task, -> ready, <- go, -> result.
 */
import { createHash } from 'node:crypto';
import { assembleBenchPlugin } from './bench-plugin';
import type { ChildMessage, TokenRaceResult, TokenRaceTask } from './probe-protocol';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

async function race(task: TokenRaceTask): Promise<void> {
  const plugin = await assembleBenchPlugin(task.settings);
  // Opens the pooled connection first, so "go" measures the token race and nothing else.
  await plugin.repositories.tokens.find(task.accountId);
  const go = new Promise((resolve) => process.once('message', resolve));
  await send({ type: 'ready' });
  await go;
  const started = performance.now();
  const settled = await Promise.allSettled(
    Array.from({ length: task.requests }, () => plugin.oauth.tokenService.getAccessToken(task.accountId)),
  );
  const ms = performance.now() - started;
  const shas = new Set<string>();
  let errors = 0;
  let firstError: string | null = null;
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') {
      shas.add(createHash('sha256').update(outcome.value.accessToken).digest('hex'));
    } else {
      errors += 1;
      const reason: unknown = outcome.reason;
      firstError ??=
        reason instanceof Error
          ? `${(reason as { code?: string }).code ?? 'Error'}: ${reason.message}`
          : String(reason);
    }
  }
  await plugin.close();
  const result: TokenRaceResult = {
    pid: process.pid,
    tokenShas: [...shas],
    answered: settled.length - errors,
    errors,
    firstError,
    ms,
  };
  await send({ type: 'result', result });
}

process.once('message', (task: TokenRaceTask) => {
  race(task)
    .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
    .finally(() => process.exit(0));
});
