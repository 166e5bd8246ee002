/**
 * How a listed batch of an IMAP folder is cut into the groups that are settled together
 * (docs/architecture.md#poll-cycle): one UID FETCH of the group's sources, one host ingest, one ledger transaction, one post-fetch action for the set.
 * The bound in bytes keeps what is held in memory at once (a group, and the next one fetched ahead) small.
 */
import type { MessageSummary } from '../ports/mail-fetcher';

/** At most this many listed bytes are downloaded per group; a larger message is a group of its own. */
export const GROUP_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Splits a batch, in UID order, into consecutive groups whose messages to download stay within `maxBytes` listed
 * bytes; messages not downloaded (already settled, over the size limit) ride along with the group they fall in.
 * @param batch - the listed batch, ascending by UID (its length bounds a group's count)
 * @param downloaded - whether a message's source will be fetched
 * @param maxBytes - the bound in listed bytes
 */
export function settlementGroups(
  batch: readonly MessageSummary[],
  downloaded: (summary: MessageSummary) => boolean,
  maxBytes = GROUP_MAX_BYTES,
): MessageSummary[][] {
  const groups: MessageSummary[][] = [];
  let group: MessageSummary[] = [];
  let bytes = 0;
  for (const summary of batch) {
    const fetched = downloaded(summary);
    if (fetched && bytes > 0 && bytes + summary.size > maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(summary);
    // An empty message still counts, so that a group of them ends somewhere.
    if (fetched) bytes += Math.max(1, summary.size);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
