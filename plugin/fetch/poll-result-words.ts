/** A poll's result in the account's history. */
import type { FolderSyncCounts } from './folder-sync';

/**
 * What a poll brought, in words; null for a poll that brought nothing, so an idle mailbox polled every minute does
 * not fill the history (a failed poll is recorded when its incident starts, not again on every retry).
 * @param counts - the poll's counts
 */
export function pollResultWords(
  counts: Pick<FolderSyncCounts, 'fetched' | 'duplicates' | 'skipped' | 'failed'>,
): string | null {
  if (counts.fetched === 0 && counts.skipped === 0 && counts.failed === 0) return null;
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const parts = [`${count(counts.fetched, 'new message', 'new messages')} made into tickets`];
  if (counts.duplicates > 0) parts.push(`${count(counts.duplicates, 'duplicate', 'duplicates')} ignored`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} left on the server (too large)`);
  if (counts.failed > 0) parts.push(`${counts.failed} refused by the helpdesk (retried next cycle)`);
  return `Fetched: ${parts.join(', ')}.`;
}
