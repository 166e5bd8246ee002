/**
 * The server's folders for the account form's folder fields: listed live when the form of a connected account is
 * opened, so the admin picks a name that exists (typing another stays possible).
 */
import { mailConnectionOf } from '../accounts/mail-connection';
import { toPluginError } from '../errors';
import type { MailAccount } from '../ports/account-repository';
import type { MailFetcher, MailSession } from '../ports/mail-fetcher';
import type { AccessTokenProvider } from '../oauth/access-token-provider';

/** Dependencies of {@link FolderLister}. */
export interface FolderListerDeps {
  readonly tokens: AccessTokenProvider;
  readonly mailFetcher: MailFetcher;
  /** Extra CA for the mail server (tests, private servers). */
  readonly caCertPem?: string | null;
  /** The form waits this long at most (ms). */
  readonly timeoutMs?: number;
}

/** The folders, or why they could not be listed (the form then only offers typing). */
export interface FolderListing {
  /** The folder names; null when they could not be listed. */
  readonly folders: readonly string[] | null;
  /** Why not, in the error table's words; null when listed. */
  readonly reason: string | null;
}

/** How many folder names the form offers. */
const MAX_FOLDERS = 500;

/** Lists an account's folders. */
export class FolderLister {
  /** @param deps - token provider, mail fetcher, mail CA */
  constructor(private readonly deps: FolderListerDeps) {}

  /**
   * Logs in with the account's token and lists its folders; never throws.
   * @param account - a connected account
   */
  async list(account: MailAccount): Promise<FolderListing> {
    if (account.protocol === 'pop3') return { folders: null, reason: 'POP3 has no folders: the inbox is fetched.' };
    let session: MailSession | null = null;
    try {
      const grant = await this.deps.tokens.getAccessToken(account.id);
      session = await this.deps.mailFetcher.connect(
        mailConnectionOf(account, grant.accessToken, {
          caCertPem: this.deps.caCertPem,
          timeoutMs: this.deps.timeoutMs ?? 10_000,
        }),
      );
      const folders = await session.listFolders();
      return { folders: [...new Set(folders)].slice(0, MAX_FOLDERS), reason: null };
    } catch (error) {
      return { folders: null, reason: toPluginError(error).info.message };
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
}
