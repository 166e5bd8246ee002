/** What a message handed to the transport must satisfy before a connection is opened. */
import { hasHiddenCharacters, visibleText } from '../../lib/visible-text';
import { PluginError } from '../errors';
import type { OutboundMessage } from '../ports/host';

/** One address: local@domain, no spaces, brackets or header syntax (names are not supported here). */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
/** More recipients than this is a mass mailing, not a helpdesk reply. */
const MAX_RECIPIENTS = 100;

/**
 * Checks the addresses and header fields (a line break in a header field would start a new header; other hidden
 * characters disguise what an address or subject says) of a message; names every problem at once.
 * @param message - the message with its From address decided
 * @throws PluginError ERR_INPUT_INVALID with `fields` listing each problem
 */
export function checkOutboundMessage(message: OutboundMessage & { readonly from: string }): void {
  const problems: string[] = [];
  const addresses = (field: string, list: readonly string[] | undefined) => {
    for (const address of list ?? []) {
      if (!ADDRESS.test(address) || hasHiddenCharacters(address))
        problems.push(`${field}: "${visibleText(address)}" is not a mail address such as name@example.com`);
    }
  };
  if (!ADDRESS.test(message.from) || hasHiddenCharacters(message.from))
    problems.push(`from: "${visibleText(message.from)}" is not a mail address`);
  if (message.to.length === 0) problems.push('to: at least one recipient is required');
  addresses('to', message.to);
  addresses('cc', message.cc);
  addresses('bcc', message.bcc);
  const count = message.to.length + (message.cc?.length ?? 0) + (message.bcc?.length ?? 0);
  if (count > MAX_RECIPIENTS) problems.push(`to/cc/bcc: ${count} recipients, at most ${MAX_RECIPIENTS}`);
  for (const [field, value] of [
    ['subject', message.subject],
    ['inReplyTo', message.inReplyTo],
    ['messageId', message.messageId],
  ] as const) {
    if (value !== undefined && hasHiddenCharacters(value))
      problems.push(`${field}: must not contain line breaks, control or bidirectional characters`);
  }
  for (const reference of message.references ?? []) {
    if (hasHiddenCharacters(reference))
      problems.push('references: must not contain line breaks, control or bidirectional characters');
  }
  if (!message.raw && message.text === undefined && message.html === undefined)
    problems.push('text: a message needs a text or html body, or a raw message');
  if (problems.length > 0)
    throw new PluginError('ERR_INPUT_INVALID', `The message cannot be sent: ${problems.join('; ')}.`, {
      fields: problems,
    });
}
