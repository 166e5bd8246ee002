/**
 * imapflow's logger option over the host's LoggerPort. imapflow logs objects such as
 * `{ msg, cid, err, src, ... }`; only a whitelist of plain fields is passed on, so no SASL payload,
 * raw protocol line or token can reach the host's log even if imapflow changes what it logs.
 */
import type { LogFields, LoggerPort } from '../../plugin/ports/host';

/** The logger shape imapflow accepts (pino-compatible subset). */
export interface ImapFlowLogger {
  debug(entry: unknown): void;
  info(entry: unknown): void;
  warn(entry: unknown): void;
  error(entry: unknown): void;
}

const SAFE_FIELDS = [
  'cid',
  'host',
  'port',
  'secure',
  'servername',
  'authorized',
  'algo',
  'version',
  'code',
  'path',
  'command',
  'attempt',
] as const;

function fieldsOf(entry: unknown, secrets: readonly string[]): { msg: string; fields: LogFields } {
  if (typeof entry !== 'object' || entry === null) return { msg: scrub(String(entry), secrets), fields: {} };
  const record = entry as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of SAFE_FIELDS) {
    const value = record[key];
    if (typeof value === 'string') fields[key] = scrub(value, secrets);
    else if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  const err = record.err;
  if (err instanceof Error) {
    const code: unknown = (err as Error & { code?: unknown }).code;
    fields.err = { message: scrub(err.message, secrets), code: typeof code === 'string' ? code : undefined };
  }
  // A protocol line written by the client ("src: 'c'") may be a SASL exchange: its text is never passed on.
  const msg =
    record.src === 'c' ? 'client command' : typeof record.msg === 'string' ? scrub(record.msg, secrets) : 'imap';
  return { msg, fields };
}

function scrub(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.replace(/auth=Bearer\s+\S+/gi, 'auth=Bearer [redacted]');
}

/**
 * Wraps a LoggerPort for imapflow. imapflow's info-level chatter (connection established, every command) goes to debug.
 * @param logger - the host's logger (a child with the account id, ideally)
 * @param secrets - strings scrubbed from every message (the access token)
 */
export function imapFlowLogger(logger: LoggerPort, secrets: readonly string[]): ImapFlowLogger {
  return {
    debug: (entry) => {
      const { msg, fields } = fieldsOf(entry, secrets);
      logger.debug(msg, fields);
    },
    info: (entry) => {
      const { msg, fields } = fieldsOf(entry, secrets);
      logger.debug(msg, fields);
    },
    warn: (entry) => {
      const { msg, fields } = fieldsOf(entry, secrets);
      logger.warn(msg, fields);
    },
    error: (entry) => {
      const { msg, fields } = fieldsOf(entry, secrets);
      logger.warn(msg, fields);
    },
  };
}
