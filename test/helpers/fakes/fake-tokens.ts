/**
 * The one fake of AccessTokenProvider (what the poll cycle and the send service ask for tokens), paired with a
 * fake server ({@link FakeMailServer}, ScriptedMailSender) that accepts the tokens it hands out.
 */
import type { PluginError } from '../../../plugin/errors';
import type { AccessTokenGrant, AccessTokenProvider } from '../../../plugin/oauth/access-token-provider';

/** A token provider handing out `token-<n>`; a forced refresh makes the next one. */
export class FakeTokens implements AccessTokenProvider {
  generation = 1;
  refreshes = 0;
  calls: { accountId: string; forceRefresh: boolean }[] = [];
  failure: PluginError | null = null;
  /** Whether the fake server accepts each newly refreshed token. */
  autoAccept = true;

  constructor(private readonly server: { readonly acceptedTokens: Set<string> }) {
    server.acceptedTokens.add(this.current());
  }

  current(): string {
    return `token-${this.generation}`;
  }

  async getAccessToken(accountId: string, options?: { readonly forceRefresh?: boolean }): Promise<AccessTokenGrant> {
    this.calls.push({ accountId, forceRefresh: options?.forceRefresh ?? false });
    if (this.failure) throw this.failure;
    if (options?.forceRefresh) {
      this.generation += 1;
      this.refreshes += 1;
      if (this.autoAccept) this.server.acceptedTokens.add(this.current());
    }
    return { accessToken: this.current(), expiresAt: Date.now() + 3600_000 };
  }
}
