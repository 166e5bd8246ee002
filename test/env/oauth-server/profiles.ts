/** The imitated provider: `microsoft` (tenant path, rotating refresh tokens, AADSTS-shaped errors) or `google`. */
export type OAuthProfile = 'microsoft' | 'google';

/** How a profile behaves, for the server and for the clients that talk to it. */
export interface ProfileSettings {
  /** The mail resource (audience of mail tokens), implied by any mail scope. */
  readonly resource: string;
  /** Every scope that yields a mail token; the first is the short `mail`. */
  readonly mailScopes: readonly string[];
  readonly oidcScopes: readonly string[];
  readonly rotateRefreshToken: boolean;
  /** Seconds. */
  readonly refreshTokenTtl: number;
  /** A scope string that yields a refresh token and a mail token. */
  readonly defaultScope: string;
  /** Extra authorization parameters needed for a refresh token. */
  readonly authorizationParams: Readonly<Record<string, string>>;
  /**
   * App tokens (client credentials, JWT bearer): the scope that names each resource the app may ask for, like
   * Entra's `<resource>/.default`. A delegated mail scope in a client-credentials request yields the mail resource.
   */
  readonly appScopes: Readonly<Record<string, string>>;
}

export const PROFILES: Readonly<Record<OAuthProfile, ProfileSettings>> = {
  microsoft: {
    resource: 'https://outlook.office.com/',
    mailScopes: [
      'mail',
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/POP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
    ],
    oidcScopes: ['openid', 'offline_access', 'email', 'profile'],
    rotateRefreshToken: true,
    refreshTokenTtl: 90 * 24 * 3600,
    defaultScope: 'openid email profile offline_access mail',
    authorizationParams: {},
    // Both resource hosts seen for Exchange app-only tokens (docs/providers.md#microsoft-app-only-access).
    appScopes: {
      'https://outlook.office365.com/.default': 'https://outlook.office365.com/',
      'https://ps.outlook.com/.default': 'https://ps.outlook.com/',
    },
  },
  google: {
    resource: 'https://mail.google.com/',
    mailScopes: ['mail', 'https://mail.google.com/'],
    oidcScopes: ['openid', 'email', 'profile'],
    rotateRefreshToken: false,
    refreshTokenTtl: 180 * 24 * 3600,
    defaultScope: 'openid email mail',
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
    appScopes: {},
  },
};

export function isOAuthProfile(value: unknown): value is OAuthProfile {
  return value === 'microsoft' || value === 'google';
}
