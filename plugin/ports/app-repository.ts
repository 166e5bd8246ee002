/** OAuth2 app registrations (docs/architecture.md#oauth2_mail_apps). */

/** Which kind of provider an app registration talks to. */
export type ProviderKind = 'microsoft' | 'google' | 'generic';

/** Microsoft national clouds. */
export type MicrosoftCloud = 'global' | 'usgov' | 'china';

/**
 * An app-level incident (docs/architecture.md#failure-semantics): the provider refused the app registration itself
 * (client id or secret, tenant, configuration), which stops every mailbox of the app that has a grant. Open from the
 * first refused token request to the next one that succeeds.
 */
export interface AppIncident {
  /** The PluginErrorCode (one whose status is `app_error`). */
  readonly code: string;
  /** Secret-free words of what the provider said. */
  readonly detail: string;
  /** Epoch ms: when it began. */
  readonly since: number;
}

/** An OAuth2 app registration; many accounts share one. The client secret is held sealed by the repository. */
export interface AppRegistration {
  readonly id: string;
  readonly name: string;
  readonly provider: ProviderKind;
  /** Microsoft only. */
  readonly cloud: MicrosoftCloud | null;
  /** Microsoft only: GUID, domain, `organizations`, `common` or `consumers`. */
  readonly tenant: string | null;
  /** Generic: the issuer for OIDC discovery. */
  readonly issuerUrl: string | null;
  /** Generic: explicit endpoints (used when no issuer, or to override discovery). */
  readonly authorizeUrl: string | null;
  readonly tokenUrl: string | null;
  readonly revocationUrl: string | null;
  readonly userinfoUrl: string | null;
  readonly clientId: string;
  /** Space-separated scope override; null = the provider's default for the protocol. */
  readonly scopes: string | null;
  /** When the client secret expires (epoch ms), if the admin entered it: warnings before it lapses. */
  readonly secretExpiresAt: number | null;
  /** The open app-level incident, or null. */
  readonly incident: AppIncident | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Fields to create or update an app; `clientSecret` is plaintext here and sealed by the repository. */
export interface AppRegistrationInput {
  readonly name: string;
  readonly provider: ProviderKind;
  readonly cloud?: MicrosoftCloud | null;
  readonly tenant?: string | null;
  readonly issuerUrl?: string | null;
  readonly authorizeUrl?: string | null;
  readonly tokenUrl?: string | null;
  readonly revocationUrl?: string | null;
  readonly userinfoUrl?: string | null;
  readonly clientId: string;
  /** Omitted on update = keep the stored secret (write-only field). */
  readonly clientSecret?: string;
  readonly scopes?: string | null;
  readonly secretExpiresAt?: number | null;
}

/** Storage of app registrations. */
export interface AppRepository {
  create(input: AppRegistrationInput & { readonly clientSecret: string }): Promise<AppRegistration>;
  /** @throws PluginError ERR_NOT_FOUND */
  update(id: string, input: AppRegistrationInput): Promise<AppRegistration>;
  find(id: string): Promise<AppRegistration | null>;
  list(): Promise<AppRegistration[]>;
  /** The opened client secret, for the token endpoint only. @throws PluginError ERR_NOT_FOUND */
  clientSecret(id: string): Promise<string>;
  /**
   * Opens the app's incident, or replaces one with another code, atomically: of several processes opening the same
   * incident at once, one gets true. An unknown app: false.
   * @returns true when this call opened it (or changed its code)
   */
  openIncident(id: string, incident: AppIncident): Promise<boolean>;
  /** Closes the app's incident (none open, or an unknown app: a no-op). */
  closeIncident(id: string): Promise<void>;
  /** @throws PluginError ERR_CONFLICT while accounts still use the app. */
  remove(id: string): Promise<void>;
}
