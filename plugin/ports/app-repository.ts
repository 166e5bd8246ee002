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

/**
 * How an app proves itself at the provider: a client secret; a certificate whose private key signs a client
 * assertion (private_key_jwt); or a service account's key, which signs the JWT bearer grant itself.
 */
export type CredentialType = 'client_secret' | 'certificate' | 'service_account';

/** Signature algorithms of a certificate's client assertion (RSA keys only). */
export type AssertionAlgorithm = 'RS256' | 'PS256';

/**
 * An OAuth2 app registration; many accounts share one. The client secret and the private key are held sealed by the
 * repository and never returned with the app.
 */
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
  readonly credentialType: CredentialType;
  /** Certificate credential: the certificate (public part, PEM). */
  readonly certificatePem: string | null;
  /** Certificate credential: its notAfter (epoch ms), read from the certificate. */
  readonly certificateExpiresAt: number | null;
  /** Certificate credential: how its client assertions are signed. */
  readonly assertionAlgorithm: AssertionAlgorithm | null;
  /** Service account: `client_email` of its key file (the assertion's issuer). */
  readonly serviceAccountEmail: string | null;
  /** Service account: `private_key_id` of its key file (the assertion's `kid`). */
  readonly serviceAccountKeyId: string | null;
  /** Service account: `token_uri` of its key file. */
  readonly serviceAccountTokenUrl: string | null;
  /** Scope of app-only and service-account tokens; null = the provider's default. */
  readonly appTokenScope: string | null;
  /** Explicit RFC 8628 device authorization endpoint (overrides the preset or discovery). */
  readonly deviceAuthorizationUrl: string | null;
  /** Microsoft: object id of the Enterprise application (service principal), for the Exchange PowerShell lines. */
  readonly servicePrincipalId: string | null;
  /** Generic providers: the `prompt` of the authorization request (e.g. `select_account`); null: none. */
  readonly authorizePrompt: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The credential fields of an app that signs in with a client secret: what a new app starts with. */
export const CLIENT_SECRET_CREDENTIAL = Object.freeze({
  credentialType: 'client_secret',
  certificatePem: null,
  certificateExpiresAt: null,
  assertionAlgorithm: null,
  serviceAccountEmail: null,
  serviceAccountKeyId: null,
  serviceAccountTokenUrl: null,
  appTokenScope: null,
  deviceAuthorizationUrl: null,
  servicePrincipalId: null,
  authorizePrompt: null,
} as const satisfies Partial<AppRegistration>);

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
  /** Omitted on update = keep the stored secret (write-only field); empty for an app without a secret. */
  readonly clientSecret?: string;
  readonly scopes?: string | null;
  readonly secretExpiresAt?: number | null;
  readonly credentialType?: CredentialType;
  readonly certificatePem?: string | null;
  readonly certificateExpiresAt?: number | null;
  readonly assertionAlgorithm?: AssertionAlgorithm | null;
  /** The certificate's or service account's private key, plaintext PEM; omitted on update = keep, null = remove. */
  readonly privateKey?: string | null;
  readonly serviceAccountEmail?: string | null;
  readonly serviceAccountKeyId?: string | null;
  readonly serviceAccountTokenUrl?: string | null;
  readonly appTokenScope?: string | null;
  readonly deviceAuthorizationUrl?: string | null;
  readonly servicePrincipalId?: string | null;
  readonly authorizePrompt?: string | null;
}

/** Storage of app registrations. */
export interface AppRepository {
  create(input: AppRegistrationInput & { readonly clientSecret: string }): Promise<AppRegistration>;
  /** @throws PluginError ERR_NOT_FOUND */
  update(id: string, input: AppRegistrationInput): Promise<AppRegistration>;
  find(id: string): Promise<AppRegistration | null>;
  list(): Promise<AppRegistration[]>;
  /** The opened client secret, for the token endpoint only; empty for apps without one. @throws PluginError ERR_NOT_FOUND */
  clientSecret(id: string): Promise<string>;
  /**
   * Opens the app's incident, or replaces one with another code, atomically: of several processes opening the same
   * incident at once, one gets true. An unknown app: false.
   * @returns true when this call opened it (or changed its code)
   */
  openIncident(id: string, incident: AppIncident): Promise<boolean>;
  /** Closes the app's incident (none open, or an unknown app: a no-op). */
  closeIncident(id: string): Promise<void>;
  /**
   * The opened private key (certificate or service account), only to sign assertions.
   * @throws PluginError ERR_NOT_FOUND | ERR_PROVIDER_CONFIG when the app has none
   */
  privateKey(id: string): Promise<string>;
  /**
   * Records the credential expiry warning `warning` (e.g. `<expires at>:7`, null to clear) when it is not the one
   * recorded already: one conditional UPDATE, so of several processes exactly one sends each warning.
   * @returns true when this call changed it
   */
  recordCredentialWarning(id: string, warning: string | null): Promise<boolean>;
  /** @throws PluginError ERR_CONFLICT while accounts still use the app. */
  remove(id: string): Promise<void>;
}
