/** The logger of the bench: the reference host's pino logger (level info, as `npm start`) into a file, counting warnings. */
import pino, { type Logger } from 'pino';
import { createLogger } from '../../host/logger';

/** Warnings and errors seen, so the bench can say when a run went wrong. */
export interface LogProblems {
  count: number;
  /** The first few, message and code only. */
  readonly first: string[];
}

/** A pino stream that counts the lines it gets (warn and above) into `problems`. */
function counting(problems: LogProblems): pino.DestinationStream {
  return {
    write(line: string) {
      const { msg, code } = JSON.parse(line) as { msg?: string; code?: unknown };
      problems.count += 1;
      if (problems.first.length < 5) problems.first.push(`${msg ?? ''}${typeof code === 'string' ? ` (${code})` : ''}`);
    },
  };
}

/**
 * The host's logger (what production pays for logging) writing to `file`, warnings and errors also counted.
 * @param file - the log file
 * @returns the logger (the host's, from which the plugin's scope cuts its child) and its problem counter
 */
export function createBenchLogger(file: string): { logger: Logger; problems: LogProblems } {
  const problems: LogProblems = { count: 0, first: [] };
  const logger = createLogger({
    level: 'info',
    destination: pino.multistream([
      { level: 'info', stream: pino.destination({ dest: file, sync: false, mkdir: true }) },
      { level: 'warn', stream: counting(problems) },
    ]),
  });
  return { logger, problems };
}
