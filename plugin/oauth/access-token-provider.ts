/** What the polling cycle and the admin screen need from the token service. */

/** A usable access token and the SASL user to present it with. */
export interface AccessTokenGrant {
  readonly accessToken: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** Hands out valid access tokens, refreshing as needed (implemented by the token service). */
export interface AccessTokenProvider {
  /**
   * A valid access token for the account. `forceRefresh` skips the stored token (the server said it expired).
   * @throws PluginError ERR_NOT_CONNECTED | ERR_GRANT_INVALID | ERR_CLIENT_INVALID | ERR_PROVIDER_UNAVAILABLE | …
   */
  getAccessToken(
    accountId: string,
    options?: { readonly forceRefresh?: boolean; readonly signal?: AbortSignal },
  ): Promise<AccessTokenGrant>;
}
