/**
 * What keeps `npm run demo` together: the services it started (local provider, Dovecot, the helpdesk child), stopped
 * in reverse order on Ctrl-C or SIGTERM, or when the helpdesk child ends by itself (then the demo says why: the exit
 * code or signal, the last lines of the child's log and where that log is), and the process's exit code once they are.
 */
import { open } from 'node:fs/promises';
import type { HostExit } from './host-process';

/** How many lines of the helpdesk's log are shown when it stopped unexpectedly. */
const LOG_TAIL_LINES = 12;
/** How much of the end of the log is read for them. */
const LOG_TAIL_BYTES = 16 * 1024;

/**
 * The last lines of a file (an empty list when it cannot be read).
 * @param file - the file
 * @param count - how many lines
 */
export async function lastLines(file: string, count: number): Promise<string[]> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer
        .toString('utf8')
        .split(/\r?\n/)
        .filter((line) => line.trim().length > 0);
      // The first line may have been cut by the read window.
      return (length < size ? lines.slice(1) : lines).slice(-count);
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}

/** Where the supervisor speaks. */
export interface SupervisorOutput {
  /** A line for the person running the demo. */
  say(line: string): void;
  /** A line about a failure (stderr). */
  error(line: string): void;
}

/** The demo's running services and how it ends. */
export class DemoSupervisor {
  private readonly services: Array<{ readonly name: string; readonly stop: () => Promise<void> }> = [];
  private stopping: Promise<number> | undefined;
  private settle: (code: number) => void = () => undefined;
  /** Resolves with the exit code once everything is stopped. */
  readonly stopped: Promise<number>;

  /**
   * @param output - where lines go
   * @param exit - ends the process (`process.exit` in the demo)
   */
  constructor(
    private readonly output: SupervisorOutput,
    private readonly exit: (code: number) => void,
  ) {
    this.stopped = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /**
   * Adds a running service; services stop in the reverse order they were added.
   * @param name - for messages
   * @param stop - stops it (errors are ignored: the others still stop)
   */
  add(name: string, stop: () => Promise<void>): void {
    this.services.push({ name, stop });
  }

  /**
   * Watches the helpdesk child: when it ends while the demo is not stopping, says why and stops everything (exit 1).
   * @param helpdesk - the child's end and its log file
   */
  watchHelpdesk(helpdesk: { readonly exited: Promise<HostExit>; readonly logFile?: string }): void {
    void helpdesk.exited.then(async (exit) => {
      if (this.stopping) return;
      const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
      this.output.error(`The helpdesk stopped unexpectedly (${how}); stopping the demo.`);
      if (helpdesk.logFile) {
        const tail = await lastLines(helpdesk.logFile, LOG_TAIL_LINES);
        this.output.error(`Its log is ${helpdesk.logFile}${tail.length > 0 ? '; its last lines:' : ' (empty).'}`);
        for (const line of tail) this.output.error(`  ${line}`);
      }
      await this.stopAll(1);
    });
  }

  /**
   * Ctrl-C or SIGTERM: stops everything, exit code 0.
   * @param _signal - the signal received
   */
  interrupt(_signal: NodeJS.Signals): Promise<number> {
    return this.stopAll(0);
  }

  /**
   * Stops every service (once), then exits with `code`.
   * @param code - the exit code
   */
  stopAll(code: number): Promise<number> {
    this.stopping ??= (async () => {
      this.output.say('\nStopping the demo …');
      for (const service of [...this.services].reverse()) await service.stop().catch(() => undefined);
      this.settle(code);
      this.exit(code);
      return code;
    })();
    return this.stopping;
  }
}
