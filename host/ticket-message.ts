/**
 * A ticket's message as an agent reads it and as a reply needs it, parsed with mailparser: addresses, date,
 * subject, the text body (an HTML-only message as mailparser's text rendering of it), the attachments listed, and
 * the threading headers. Malformed mail never throws: what cannot be read is left out and `problem` says so.
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

/** One attachment as listed (the content is not kept). */
export interface TicketAttachment {
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
}

/** The parts of a message the ticket page shows and a reply uses. */
export interface TicketMessage {
  /** Headers as text, e.g. `"Zoë Example" <zoe@example.test>`; null when absent. */
  readonly from: string | null;
  readonly to: string | null;
  readonly cc: string | null;
  readonly replyTo: string | null;
  /** The Date header, or null when absent or unreadable. */
  readonly date: Date | null;
  readonly subject: string | null;
  /** The text body, control characters other than tab and newline shown as U+FFFD. */
  readonly text: string;
  /** True when the text was rendered from an HTML-only body. */
  readonly fromHtml: boolean;
  readonly attachments: readonly TicketAttachment[];
  /** Message-ID with angle brackets. */
  readonly messageId: string | null;
  /** The References header's Message-IDs, oldest first. */
  readonly references: readonly string[];
  /** Where a reply goes: the Reply-To addresses, else the From address (plain addresses). */
  readonly replyAddresses: readonly string[];
  /** Why (part of) the message could not be read, when it could not. */
  readonly problem: string | null;
}

/** Raw messages larger than this are shown from their first bytes only (the page must not take the host down). */
export const MAX_PARSED_BYTES = 30 * 1024 * 1024;

// eslint-disable-next-line no-control-regex -- these are exactly the characters a text body must not carry into a page
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function addressText(value: AddressObject | AddressObject[] | undefined): string | null {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const text = list
    .map((item) => item.text)
    .filter(Boolean)
    .join(', ');
  return text.length > 0 ? text : null;
}

function plainAddresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.address && /^[^\s@<>]+@[^\s@<>]+$/.test(entry.address)) out.push(entry.address);
      if (entry.group) visit(entry.group);
    }
  };
  for (const item of list) visit(item.value);
  return [...new Set(out)];
}

function messageIds(value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.flatMap((item) => item.match(/<[^<>\s]+>/g) ?? []);
}

function fromParsed(parsed: ParsedMail, fromHtml: boolean, problem: string | null): TicketMessage {
  const text = typeof parsed.text === 'string' ? parsed.text : '';
  const replyTo = plainAddresses(parsed.replyTo);
  const date = parsed.date instanceof Date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    cc: addressText(parsed.cc),
    replyTo: addressText(parsed.replyTo),
    date,
    subject: typeof parsed.subject === 'string' ? parsed.subject : null,
    text: text.replace(CONTROL, '\ufffd'),
    fromHtml,
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename ?? null,
      contentType: attachment.contentType || 'application/octet-stream',
      size: attachment.size ?? attachment.content?.length ?? 0,
    })),
    messageId: typeof parsed.messageId === 'string' ? parsed.messageId : null,
    references: messageIds(parsed.references),
    replyAddresses: replyTo.length > 0 ? replyTo : plainAddresses(parsed.from),
    problem,
  };
}

const EMPTY: TicketMessage = {
  from: null,
  to: null,
  cc: null,
  replyTo: null,
  date: null,
  subject: null,
  text: '',
  fromHtml: false,
  attachments: [],
  messageId: null,
  references: [],
  replyAddresses: [],
  problem: null,
};

/**
 * Reads a raw message for the ticket page and for a reply.
 * @param raw - the exact bytes the plugin ingested
 */
export async function readTicketMessage(raw: Buffer): Promise<TicketMessage> {
  const tooLarge = raw.length > MAX_PARSED_BYTES;
  const input = tooLarge ? raw.subarray(0, MAX_PARSED_BYTES) : raw;
  const cut = tooLarge
    ? `The message is larger than ${MAX_PARSED_BYTES / 1024 / 1024} MB; only its start is shown.`
    : null;
  try {
    const options = { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true };
    // First without turning HTML into text: a missing text then means the message has an HTML body only.
    const parsed = await simpleParser(input, { ...options, skipHtmlToText: true });
    const htmlOnly = !parsed.text && typeof parsed.html === 'string' && parsed.html.length > 0;
    if (!htmlOnly) return fromParsed(parsed, false, cut);
    return fromParsed(await simpleParser(input, options), true, cut);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ...EMPTY,
      text: input
        .subarray(0, 256 * 1024)
        .toString('latin1')
        .replace(CONTROL, '\ufffd'),
      problem: `The message could not be read as MIME (${reason}); its raw text is shown.`,
    };
  }
}
