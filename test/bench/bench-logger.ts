/** The logger of the bench: the reference host's pino logger (level info, as `npm start`) into a file, counting warnings. */
import pino from 'pino';
import { createLogger, toLoggerPort } from '../../host/logger';
import type { LogFields, LoggerPort } from '../../plugin/ports/host';

/** Warnings and errors seen, so the bench can say when a run went wrong. */
export interface LogProblems {
  count: number;
  /** The first few, message and code only. */
  readonly first: string[];
}

/** A LoggerPort that forwards to `inner` and counts warn/error lines into `problems`. */
function counting(inner: LoggerPort, problems: LogProblems): LoggerPort {
  const note = (msg: string, fields?: LogFields) => {
    problems.count += 1;
    if (problems.first.length < 5)
      problems.first.push(`${msg}${fields && typeof fields.code === 'string' ? ` (${fields.code})` : ''}`);
  };
  return {
    debug: (msg, fields) => inner.debug(msg, fields),
    info: (msg, fields) => inner.info(msg, fields),
    warn: (msg, fields) => {
      note(msg, fields);
      inner.warn(msg, fields);
    },
    error: (msg, fields) => {
      note(msg, fields);
      inner.error(msg, fields);
    },
    child: (bindings) => counting(inner.child(bindings), problems),
  };
}

/**
 * The host's logger (what production pays for logging) writing to `file`.
 * @param file - the log file
 * @returns the logger and its problem counter
 */
export function createBenchLogger(file: string): { logger: LoggerPort; problems: LogProblems } {
  const problems: LogProblems = { count: 0, first: [] };
  const pinoLogger = createLogger({
    level: 'info',
    destination: pino.destination({ dest: file, sync: false, mkdir: true }),
  });
  return { logger: counting(toLoggerPort(pinoLogger), problems), problems };
}
