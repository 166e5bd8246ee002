/** Forks the bench's child processes (compiled next to this file) and collects their answers. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type {
  ChildMessage,
  MemoryResult,
  MemoryTask,
  ScaleResult,
  ScaleTask,
  TokenRaceResult,
  TokenRaceTask,
} from './probe-protocol';

const MEMORY_PROBE = join(__dirname, 'memory-probe.js');
const TOKEN_RACE_WORKER = join(__dirname, 'token-race-worker.js');
const SCALE_WORKER = join(__dirname, 'scale-worker.js');

function start(script: string, execArgv: string[]): ChildProcess {
  return fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Resolves with the child's result; rejects on its error or an exit without one. */
function resultOf<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'result') resolve(message.result as T);
      if (message.type === 'error') reject(new Error(`child ${child.pid}: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`child ${child.pid} exited (${code}) without a result`)));
  });
}

/**
 * Runs one memory task in a fresh process with --expose-gc.
 * @param task - what to measure
 */
export async function runMemoryProbe(task: MemoryTask): Promise<MemoryResult> {
  const child = start(MEMORY_PROBE, ['--expose-gc']);
  const result = resultOf<MemoryResult>(child);
  child.send(task);
  return result;
}

/**
 * Starts `processes` token race workers, waits until each is ready, runs `beforeGo` (reset the counters), then
 * releases them all at once.
 * @returns each worker's result
 */
export async function runTokenRace(
  processes: number,
  task: TokenRaceTask,
  beforeGo: () => Promise<void>,
): Promise<TokenRaceResult[]> {
  const children = Array.from({ length: processes }, () => start(TOKEN_RACE_WORKER, []));
  try {
    const ready = children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.on('message', (message: ChildMessage) => {
            if (message.type === 'ready') resolve();
          });
          child.once('exit', (code) => reject(new Error(`token race worker exited early (${code})`)));
        }),
    );
    const results = children.map((child) => resultOf<TokenRaceResult>(child));
    // Whichever of the two fails first is thrown; the other must not end the bench as an unhandled rejection.
    for (const pending of [...ready, ...results]) pending.catch(() => undefined);
    for (const child of children) child.send(task);
    await Promise.all(ready);
    await beforeGo();
    for (const child of children) child.send({ type: 'go' });
    return await Promise.all(results);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Starts `processes` scale workers, waits until each is ready, releases them all at once, runs `during` (seeding and
 * watching the tickets), then tells them to stop after their current cycle.
 * @returns each worker's result
 */
export async function runScaleWorkers(
  processes: number,
  task: ScaleTask,
  during: () => Promise<void>,
): Promise<ScaleResult[]> {
  const children = Array.from({ length: processes }, () => start(SCALE_WORKER, []));
  try {
    const ready = children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.on('message', (message: ChildMessage) => {
            if (message.type === 'ready') resolve();
          });
          child.once('exit', (code) => reject(new Error(`scale worker exited early (${code})`)));
        }),
    );
    const results = children.map((child) => resultOf<ScaleResult>(child));
    for (const pending of [...ready, ...results]) pending.catch(() => undefined);
    for (const child of children) child.send(task);
    await Promise.all(ready);
    for (const child of children) child.send({ type: 'go' });
    try {
      await during();
    } finally {
      for (const child of children) if (child.connected) child.send({ type: 'stop' });
    }
    return await Promise.all(results);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
