/**
 * Which account settings a mail protocol has. POP3 (RFC 1939) has one maildrop per user, no folders and no flags:
 * the folder is always the inbox, the first cycle fetches every message on the server (without flags every message
 * is unseen: `unseen` and `all` are the same there, `new_only` has no meaning) and after the ticket a message is
 * kept (default; fetched once by its UIDL) or deleted.
 */
import type { InitialSync, MailProtocol, PostFetchAction } from '../ports/account-repository';
import type { MailService } from '../oauth/providers/provider';

/** The settings an account of `protocol` gets when they are left out. */
export function protocolDefaults(protocol: MailProtocol): {
  readonly folder: string;
  readonly initialSync: InitialSync;
  readonly postFetch: PostFetchAction;
} {
  return protocol === 'pop3'
    ? { folder: 'INBOX', initialSync: 'all', postFetch: 'keep' }
    : { folder: 'INBOX', initialSync: 'unseen', postFetch: 'mark_seen' };
}

/**
 * What is wrong with the given settings for `protocol`, as [field, message] pairs (none for IMAP).
 * @param given - the settings as the admin gave them (undefined = left out)
 */
export function protocolSettingProblems(
  protocol: MailProtocol,
  given: { readonly folder?: string; readonly initialSync?: string; readonly postFetch?: string },
): Array<readonly [string, string]> {
  if (protocol !== 'pop3') return [];
  const problems: Array<readonly [string, string]> = [];
  if (given.folder !== undefined && given.folder.toUpperCase() !== 'INBOX')
    problems.push(['folder', 'does not apply to POP3: a POP3 mailbox has only its inbox; leave the folder out']);
  if (given.initialSync === 'new_only')
    problems.push([
      'initialSync',
      'new_only does not apply to POP3: POP3 has no seen flags and no UIDNEXT, so the first cycle fetches every ' +
        'message on the server; leave it out (or use all)',
    ]);
  if (given.postFetch !== undefined && given.postFetch !== 'keep' && given.postFetch !== 'delete')
    problems.push(['postFetch', 'must be keep or delete for POP3 (POP3 has no flags and no folders)']);
  return problems;
}

/** The mail service a protocol's token and default server are asked for (providers name POP3 `pop`). */
export function mailServiceOf(protocol: MailProtocol): MailService {
  return protocol === 'pop3' ? 'pop' : 'imap';
}

/** The usual port of a protocol for a TLS mode: 993 / 143 for IMAP, 995 / 110 for POP3. */
export function defaultPort(protocol: MailProtocol, implicitTls: boolean): number {
  if (protocol === 'pop3') return implicitTls ? 995 : 110;
  return implicitTls ? 993 : 143;
}
