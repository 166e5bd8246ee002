import pino, { type Logger } from 'pino';
import type { LogFields, LoggerPort } from '../../plugin/ports/host';

/** A logger that keeps every line, children's included (to check what was logged and scan it for secrets). */
export class CapturingLogger implements LoggerPort {
  constructor(
    readonly lines: Array<{ level: string; msg: string; fields?: LogFields }> = [],
    private readonly bindings: LogFields = {},
  ) {}
  debug(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', msg, fields: { ...this.bindings, ...fields } });
  }
  info(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', msg, fields: { ...this.bindings, ...fields } });
  }
  warn(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', msg, fields: { ...this.bindings, ...fields } });
  }
  error(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', msg, fields: { ...this.bindings, ...fields } });
  }
  child(bindings: LogFields): LoggerPort {
    return new CapturingLogger(this.lines, { ...this.bindings, ...bindings });
  }
  /** Every line as one JSON text. */
  text(): string {
    return JSON.stringify(this.lines);
  }
}

/** What a pino logger from {@link capturingPino} wrote: every line, parsed. */
export interface CapturedLines {
  readonly lines: Record<string, unknown>[];
}

/**
 * A pino logger (what a host's plugin scope is built from) that keeps every line it writes, parsed, so a test can
 * scan what the plugin logged. No redaction: a secret the plugin passes shows up here.
 * @param level - pino level; default `debug` (every level the plugin's LoggerPort has)
 */
export function capturingPino(level = 'debug'): CapturedLines & { readonly logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}
