/**
 * "Test connection" for a POP3 account (connection-test.ts): login, then STAT. POP3 has one maildrop and no
 * folders, so the folder step only says so. Nothing is fetched or deleted: the session ends with QUIT and no DELE.
 */
import { toPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { MailConnectionOptions } from '../ports/mail-fetcher';
import type { Pop3Fetcher } from '../ports/pop3-mailbox';
import { explainAppMailboxRefusal } from '../oauth/credential-errors';
import { plural } from './formatting';

/** The step callbacks of the connection test. */
export interface StepRecorder {
  ok(step: 'login' | 'folders' | 'messages', detail: string): void;
  fail(step: 'login' | 'folders' | 'messages', thrown: unknown): void;
}

/**
 * Runs the POP3 steps.
 * @returns the session to end (null when the login failed)
 */
export async function pop3ConnectionSteps(
  fetcher: Pop3Fetcher,
  account: MailAccount,
  connection: MailConnectionOptions,
  steps: StepRecorder,
  signal: AbortSignal | undefined,
): Promise<{ close(): Promise<void> } | null> {
  let session;
  try {
    session = await fetcher.connect(connection, signal);
  } catch (error) {
    steps.fail(
      'login',
      account.authMode === 'delegated' ? error : explainAppMailboxRefusal(toPluginError(error), account.mailbox),
    );
    return null;
  }
  const security = account.tls === 'implicit' ? 'POP3S' : account.tls === 'starttls' ? 'STLS' : 'no TLS';
  const server = `${account.host}:${account.port} (${security})`;
  steps.ok('login', `Logged in to ${server} as ${account.mailbox} with ${session.mechanism} over POP3.`);
  steps.ok('folders', 'POP3 has no folders: the inbox is fetched.');
  try {
    const stat = await session.stat();
    steps.ok('messages', `The POP3 inbox holds ${plural(stat.count, 'message')} (${stat.octets} bytes).`);
  } catch (error) {
    steps.fail('messages', error);
  }
  const opened = session;
  return { close: async () => void (await opened.quit()) };
}
