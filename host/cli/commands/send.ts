/**
 * `send`: one message through a mail account, the way a reply goes: committed to the outbox first, then one attempt
 * at once; the command waits for that attempt. A temporary failure leaves the message queued for the running
 * helpdesk to retry.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ERROR_CODES, PluginError, type PluginErrorCode } from '../../../plugin/index';
import type { OutboxEntry } from '../../outbox/outbox-entry';
import type { CliContext } from '../context';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function readText(options: { text?: string; textFile?: string }): string {
  if ((options.text === undefined) === (options.textFile === undefined))
    throw new PluginError('ERR_INPUT_INVALID', 'Give the text with exactly one of --text or --text-file.');
  if (options.text !== undefined) return options.text;
  const file = options.textFile ?? '';
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new PluginError(
      'ERR_INPUT_INVALID',
      `The text file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Why the attempt did not send, as the error the console prints (code, message, the table's fix). */
function notSent(entry: OutboxEntry): PluginError {
  const code = (
    entry.lastErrorCode !== null && entry.lastErrorCode in ERROR_CODES ? entry.lastErrorCode : 'ERR_INTERNAL'
  ) as PluginErrorCode;
  const what = entry.lastErrorMessage ?? ERROR_CODES[code].message;
  const where =
    entry.state === 'queued'
      ? ` The message stays queued (outbox #${entry.id}) and the running helpdesk (oauth2-mail start) tries it again.`
      : entry.state === 'failed'
        ? ` It was not sent and is not retried (outbox #${entry.id}, failed).`
        : ` Another process took the message over (outbox #${entry.id}, ${entry.state}).`;
  return new PluginError(code, `${what}${where}`, {
    outboxId: entry.id,
    messageId: entry.messageId,
    state: entry.state,
  });
}

/**
 * Registers `send`.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('send')
    .description(
      'Send a message through a mail account: committed to the outbox, then one attempt at once; ' +
        'prints the Message-ID and the server answer',
    )
    .requiredOption('--account <id>', 'the mail account it leaves from (sending switched on)')
    .option('--to <address>', 'recipient (repeatable)', collect)
    .option('--cc <address>', 'copy recipient (repeatable)', collect)
    .requiredOption('--subject <subject>', 'the subject')
    .option('--text <text>', 'the text body')
    .option('--text-file <file>', 'file holding the text body (- for stdin)')
    .option('--from <address>', "the From address (default: the account's)")
    .option('--in-reply-to <ticket id>', 'thread it to this ticket like a reply (In-Reply-To, References)')
    .action(
      async (options: {
        account: string;
        to?: string[];
        cc?: string[];
        subject: string;
        text?: string;
        textFile?: string;
        from?: string;
        inReplyTo?: string;
      }) => {
        const text = readText(options);
        if (!options.to || options.to.length === 0)
          throw new PluginError('ERR_INPUT_INVALID', 'Give at least one --to address.');
        const entry = await context.withHost(
          (host) =>
            host.sending.sendNow({
              accountId: options.account,
              to: options.to ?? [],
              cc: options.cc ?? [],
              subject: options.subject,
              text,
              ...(options.from !== undefined ? { from: options.from } : {}),
              ...(options.inReplyTo !== undefined ? { inReplyToTicket: options.inReplyTo } : {}),
            }),
          { activatePlugins: true },
        );
        if (entry.state !== 'sent') throw notSent(entry);
        const rejected = entry.rejected.length > 0 ? [`Refused recipients: ${entry.rejected.join(', ')}`] : [];
        context.output(
          {
            messageId: entry.messageId,
            response: entry.response,
            accepted: entry.accepted,
            rejected: entry.rejected,
            outboxId: entry.id,
          },
          [`Sent ${entry.messageId} (outbox #${entry.id})`, `Server: ${entry.response ?? ''}`, ...rejected],
        );
      },
    );
}
