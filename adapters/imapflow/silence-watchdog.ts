/**
 * Bounds one wait for the mail server by its silence (fetch.commandTimeoutSeconds, docs/architecture.md#poll-cycle).
 * imapflow's socket timeout already fails a command whose answer is overdue, but not every wait is such a command
 * (on a quiet socket it first sends a NOOP and waits a second period; a command queued behind its mailbox lock is
 * not in flight yet), so every command of a session also runs under this watchdog: when no byte arrives from the
 * server for the whole period, the client is closed and the wait ends. A long download that keeps receiving is
 * never cut off.
 */
import type { ImapFlow } from 'imapflow';

/** The server sent nothing for the whole period. */
export class ServerSilentError extends Error {
  /** @param timeoutMs - how long the server stayed silent */
  constructor(readonly timeoutMs: number) {
    super(`The mail server sent nothing for ${Math.round(timeoutMs / 1000)} s.`);
    this.name = 'ServerSilentError';
  }
}

/**
 * Runs `run` and rejects with {@link ServerSilentError} (closing `client`) once the server has been silent for
 * `timeoutMs`; every chunk the client's socket receives starts the period again.
 * @param client - the connected client the command runs on
 * @param timeoutMs - the longest silence allowed
 * @param run - the command
 */
export function boundBySilence<T>(client: ImapFlow, timeoutMs: number, run: () => Promise<T>): Promise<T> {
  // `socket` is the raw TCP or TLS socket, also under COMPRESS=DEFLATE.
  const socket = (client as unknown as { socket?: NodeJS.EventEmitter | null }).socket ?? null;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      socket?.off('data', arm);
    };
    function arm(): void {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stop();
        reject(new ServerSilentError(timeoutMs));
        // Ends imapflow's own pending promise too; its rejection arrives after ours and is ignored.
        try {
          client.close();
        } catch {
          // already closed
        }
      }, timeoutMs);
    }
    socket?.on('data', arm);
    arm();
    run().then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}
