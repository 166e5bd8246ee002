/** What happens on the server after a message became a ticket (`post_fetch` in docs/architecture.md#poll-cycle). */
import { PluginError } from '../errors';
import type { PostFetchAction } from '../ports/account-repository';
import type { MailSession } from '../ports/mail-fetcher';

/**
 * The target folder of a `move:<folder>` action, or null for the other actions.
 * @throws PluginError ERR_INPUT_INVALID for `move:` without a folder
 */
export function moveTarget(action: PostFetchAction): string | null {
  if (!action.startsWith('move:')) return null;
  const folder = action.slice('move:'.length);
  if (folder.length === 0)
    throw new PluginError('ERR_INPUT_INVALID', 'The post-fetch action "move:" names no folder.', {
      field: 'postFetch',
    });
  return folder;
}

/**
 * Applies the account's post-fetch action to one message of the open folder.
 * @param session - the session with the message's folder open
 * @param uid - the message
 * @param action - `mark_seen` | `move:<folder>` | `delete` | `keep`
 * @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses, or a connection error
 */
export async function applyPostFetchAction(session: MailSession, uid: number, action: PostFetchAction): Promise<void> {
  if (action === 'keep') return;
  if (action === 'mark_seen') return session.markSeen(uid);
  if (action === 'delete') return session.delete(uid);
  const folder = moveTarget(action);
  if (folder !== null) return session.move(uid, folder);
  throw new PluginError('ERR_INPUT_INVALID', `Unknown post-fetch action "${String(action)}".`, { field: 'postFetch' });
}

/**
 * Applies the account's post-fetch action to a set of messages of the open folder in one command where the session
 * has the set variant, else one UID at a time. A refusal does not say which UIDs; the caller tries them singly.
 * @throws PluginError ERR_MAIL_OPERATION_FAILED when the server refuses, ERR_INPUT_INVALID, or a connection error
 */
export async function applyPostFetchActionToSet(
  session: MailSession,
  uids: readonly number[],
  action: PostFetchAction,
): Promise<void> {
  if (action === 'keep' || uids.length === 0) return;
  if (uids.length === 1) return applyPostFetchAction(session, uids[0]!, action);
  if (action === 'mark_seen' && session.markSeenMany) return session.markSeenMany(uids);
  if (action === 'delete' && session.deleteMany) return session.deleteMany(uids);
  const folder = action === 'mark_seen' || action === 'delete' ? null : moveTarget(action);
  if (folder !== null && session.moveMany) return session.moveMany(uids, folder);
  for (const uid of uids) await applyPostFetchAction(session, uid, action);
}
