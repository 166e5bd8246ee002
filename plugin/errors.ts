/**
 * The plugin's one closed set of error codes: every adapter maps its library's errors into a {@link PluginError};
 * nothing else crosses a port. One row per code says whether a retry can help, which status the account takes, the
 * HTTP status of a page or JSON answer that reports it, the admin's words and the fix. Messages never carry a token
 * or secret. docs/architecture.md ("Failure semantics") explains how the poll cycle and the screen use the table.
 */
/** Account status an error leads to, or `null` when it does not touch the account's status. */
export type AccountStatusEffect = 'needs_reauth' | 'app_error' | 'retrying' | null;

/** The part of the plugin an error comes from: how the table is grouped. */
export type ErrorGroup = 'input' | 'host' | 'oauth' | 'mail' | 'general';

/** One row of the error table. */
export interface ErrorCodeInfo {
  /** Where the error comes from. */
  readonly group: ErrorGroup;
  /** Retrying later, without anyone changing anything, may succeed. */
  readonly retryable: boolean;
  /** Status the account takes when this error ends an attempt. */
  readonly status: AccountStatusEffect;
  /**
   * HTTP status of a page or JSON answer reporting this error: 4xx when the request, the account's state (409) or
   * its configuration at the provider or mail server (422) is at fault; 502 when the provider or mail server failed;
   * 503 when the database is unavailable; 504 on a time limit; 500 for a fault of the plugin or its host.
   */
  readonly httpStatus: number;
  /** What happened, in words an admin understands. */
  readonly message: string;
  /** What the admin does about it. */
  readonly fix: string;
  /**
   * Where the server's answer (or what the plugin checks next to it) tells causes apart: which answer means which
   * cause, and the fix for that cause. {@link diagnose} picks one from the error's `details.cause`.
   */
  readonly causes?: Readonly<Record<string, { readonly when: string; readonly fix: string }>>;
}

type ErrorRows = Readonly<Record<`ERR_${string}`, Omit<ErrorCodeInfo, 'group'>>>;

/** A request, a form or a console argument the plugin cannot accept. */
const INPUT_ERRORS = {
  ERR_INPUT_INVALID: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The input is not valid.',
    fix: 'Correct the fields named in the message and submit again.',
  },
  ERR_NOT_FOUND: {
    retryable: false,
    status: null,
    httpStatus: 404,
    message: 'The requested item does not exist.',
    fix: 'Reload the list; it may have been removed.',
  },
  ERR_CONFLICT: {
    retryable: true,
    status: null,
    httpStatus: 409,
    message: 'Someone else changed this item at the same time.',
    fix: 'Reload and try again.',
  },
  ERR_FORBIDDEN: {
    retryable: false,
    status: null,
    httpStatus: 403,
    message: 'You are not allowed to do this.',
    fix: 'Sign in as an administrator.',
  },
  ERR_CSRF: {
    retryable: false,
    status: null,
    httpStatus: 403,
    message: 'The form was stale or did not come from this site.',
    fix: 'Reload the page and submit the form again.',
  },
  ERR_RATE_LIMITED: {
    retryable: true,
    status: null,
    httpStatus: 429,
    message: 'Too many attempts in a short time; this one was not tried.',
    fix: 'Wait for the time given (Retry-After) and try again.',
  },
} as const satisfies ErrorRows;

/** What the host and its services (plugin manager, database, secrets, mail pipeline) answered or refused. */
const HOST_CONTRACT_ERRORS = {
  ERR_MANIFEST_INVALID: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The plugin manifest (plugin.json) is not valid.',
    fix: 'Fix every problem listed and install the plugin again.',
  },
  ERR_CONTRIBUTION_UNDECLARED: {
    retryable: false,
    status: null,
    httpStatus: 500,
    message: 'The plugin registered something its plugin.json does not declare.',
    fix: 'Declare the contribution in plugin.json under "contributes".',
  },
  ERR_PERMISSION_NOT_GRANTED: {
    retryable: false,
    status: null,
    httpStatus: 500,
    message: 'The plugin used a host service it was not granted.',
    fix: 'Grant the permission in the plugin manager, or declare it in plugin.json.',
  },
  ERR_DATABASE_UNAVAILABLE: {
    retryable: true,
    status: null,
    httpStatus: 503,
    message: 'The database could not be reached.',
    fix: 'Check the database server; nothing was changed.',
  },
  ERR_SECRET_UNREADABLE: {
    retryable: false,
    status: null,
    httpStatus: 500,
    message: 'A stored secret could not be opened with the configured key.',
    fix: 'Restore the encryption key (OAUTH2_MAIL_SECRET_KEY or the key file) that sealed it.',
  },
  ERR_INGEST_REJECTED: {
    retryable: true,
    status: null,
    httpStatus: 500,
    message: 'The helpdesk refused a fetched message.',
    fix: 'See the helpdesk log for why; after several tries the message is quarantined.',
  },
} as const satisfies ErrorRows;

/** Connect, the authorization callback, tokens and the app registration at the provider. */
const OAUTH_GRANT_ERRORS = {
  ERR_STATE_UNKNOWN: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'This sign-in link is not known (it may be forged or from another server).',
    fix: 'Start again with Connect on the mail account screen.',
  },
  ERR_STATE_EXPIRED: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'This sign-in took longer than 10 minutes and has expired.',
    fix: 'Start again with Connect on the mail account screen.',
  },
  ERR_STATE_REPLAYED: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'This sign-in link was already used.',
    fix: 'Start again with Connect on the mail account screen.',
  },
  ERR_STATE_OTHER_ADMIN: {
    retryable: false,
    status: null,
    httpStatus: 403,
    message: 'This sign-in was started by another administrator.',
    fix: 'The administrator who clicked Connect must finish the sign-in, or start again yourself.',
  },
  ERR_AUTHORIZATION_DENIED: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The provider did not grant access (the user cancelled or consent was refused).',
    fix: 'Connect again and accept the requested permissions; an administrator may have to grant consent for the organization.',
  },
  ERR_AUTHORIZATION_CODE_MISSING: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The provider came back without an authorization code.',
    fix: "Start again with Connect; if it repeats, check the app registration's redirect URI.",
  },
  ERR_IDENTITY_MISMATCH: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The account that signed in cannot open this mailbox.',
    fix: 'Sign in as the mailbox itself, or as a user with full access to it and mark the account as a shared mailbox.',
  },
  ERR_DEVICE_CODE_EXPIRED: {
    retryable: false,
    status: null,
    httpStatus: 400,
    message: 'The device sign-in code expired (or is no longer known) before anyone completed the sign-in.',
    fix: 'Start the device sign-in again and enter the new code at the verification page before it expires.',
  },
  ERR_ID_TOKEN_INVALID: {
    retryable: false,
    status: null,
    httpStatus: 502,
    message: 'The identity token from the provider failed its checks (issuer, audience, expiry or nonce).',
    fix: "Check the app registration's issuer / tenant and the server clock, then connect again.",
  },
  ERR_NOT_CONNECTED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 409,
    message: 'This mailbox has not been connected yet, or was disconnected.',
    fix: 'Click Connect and sign in at the provider.',
  },
  ERR_GRANT_INVALID: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 409,
    message: 'The provider no longer accepts the stored authorization (expired, revoked, or the password was changed).',
    fix: 'Click Re-authorize and sign in as the mailbox again.',
  },
  ERR_CONSENT_REQUIRED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 409,
    message: 'The provider requires consent for the mail permissions.',
    fix: 'Re-authorize; in Microsoft Entra an administrator may have to grant admin consent for the app.',
  },
  ERR_INTERACTION_REQUIRED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 409,
    message:
      'The provider requires an interactive sign-in (multi-factor authentication or a conditional-access policy).',
    fix: 'Click Re-authorize and complete the sign-in, including MFA.',
  },
  ERR_CLIENT_INVALID: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message: "The provider rejected the app registration's client id or secret.",
    fix: 'Check the client id, and paste the client secret VALUE (not its id) into the app registration.',
  },
  ERR_CLIENT_SECRET_EXPIRED: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message: "The app registration's client secret has expired.",
    fix: 'Create a new client secret at the provider and save it in the app registration.',
  },
  ERR_CLIENT_ASSERTION_REFUSED: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message:
      "The provider refused the app registration's signed assertion: the certificate is not uploaded to the app, " +
      'the key does not belong to it or was deleted, or the clocks differ.',
    fix:
      'Certificate: upload its public part to the app at the provider (Entra: Certificates & secrets → ' +
      'Certificates) and save the certificate with its own private key in the app registration. Service account: ' +
      'create a new JSON key and import it. Check the server clock.',
  },
  ERR_CLIENT_CERTIFICATE_EXPIRED: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message: "The app registration's certificate has expired.",
    fix:
      'Create a new certificate, upload its public part to the app at the provider, and save the certificate and ' +
      'its private key in the app registration.',
  },
  ERR_DELEGATION_DENIED: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message:
      'The service account may not act for the users of this domain with the mail scope ' +
      '("unauthorized_client: … not authorized for any of the scopes requested"): domain-wide delegation is missing.',
    fix:
      'In the Google Workspace Admin console open Security → Access and data control → API controls → Manage ' +
      "Domain Wide Delegation, add the service account's client id with the scope https://mail.google.com/ (a new " +
      'entry can take up to 24 hours), then click Connect.',
  },
  ERR_PROVIDER_CONFIG: {
    retryable: false,
    status: 'app_error',
    httpStatus: 422,
    message:
      "The provider rejected the app registration's configuration (tenant, scope, redirect URI or app not found).",
    fix: "Compare the app registration with the provider's settings: tenant, cloud, redirect URI and permissions.",
  },
  ERR_PROVIDER_UNAVAILABLE: {
    retryable: true,
    status: 'retrying',
    httpStatus: 502,
    message: "The provider's token service did not answer properly (timeout, server error or unreadable answer).",
    fix:
      'Polling retries by itself with backoff and keeps the stored tokens; a Connect is never retried: click ' +
      'Connect again once the provider answers (check its status page if it lasts).',
  },
  ERR_PROVIDER_TLS: {
    retryable: false,
    status: 'retrying',
    httpStatus: 502,
    message:
      "The provider's TLS certificate could not be verified: it is signed by an untrusted CA or does not name the " +
      "endpoint's host.",
    fix:
      "Trust the provider's CA: set the plugin config token.caCertPem (or start the helpdesk with " +
      'NODE_EXTRA_CA_CERTS), and check that the issuer / endpoint URL uses the host name on the certificate; ' +
      'verification is never switched off. A Connect is not retried: click Connect again after the change.',
  },
  ERR_TOKEN_RESPONSE_INVALID: {
    retryable: true,
    status: 'retrying',
    httpStatus: 502,
    message: 'The provider answered without a usable token.',
    fix:
      'Polling retries by itself and keeps the stored tokens; a Connect is not retried: click Connect again. If it ' +
      "repeats, check the provider's status page, and whether a proxy or firewall answers in the provider's place.",
  },
  ERR_REVOCATION_FAILED: {
    retryable: true,
    status: null,
    httpStatus: 502,
    message: 'The provider did not confirm the revocation; the tokens were deleted here anyway.',
    fix: "Revoke the app's access at the provider if you want to be sure.",
  },
} as const satisfies ErrorRows;

/** The mail server: login, TLS, folders, flags and the messages themselves. */
const MAIL_SERVER_ERRORS = {
  ERR_MAIL_AUTH_FAILED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 422,
    message:
      'The mail server refused a fresh access token: the mail permission (scope) is missing or the mailbox does not allow this login.',
    fix:
      'Check that the app requests the mail scope for this protocol (Microsoft: ' +
      'https://outlook.office.com/IMAP.AccessAsUser.All, ' +
      'Google: https://mail.google.com/) and that the protocol is enabled for the mailbox (Exchange: Set-CASMailbox ' +
      '-Identity <mailbox> -ImapEnabled $true; Gmail: IMAP allowed by the Workspace admin), then Re-authorize.',
    causes: {
      scope_missing: {
        when:
          'Microsoft answers only "NO AUTHENTICATE failed." for both causes; the scope the token was granted (the ' +
          "token endpoint's scope field) lacks the mail scope",
        fix:
          'Add the mail permission to the app (Entra: API permissions → Office 365 Exchange Online → ' +
          'IMAP.AccessAsUser.All, with admin consent where required) and request it with its resource prefix ' +
          '(https://outlook.office.com/IMAP.AccessAsUser.All, not the Graph one), then Re-authorize.',
      },
      protocol_disabled: {
        when:
          'the granted scope holds the mail scope and the server still answers "AUTHENTICATE failed." (Microsoft) or ' +
          '"[AUTHENTICATIONFAILED]" (Gmail, Dovecot): the protocol is off for the mailbox',
        fix:
          'Exchange Online: Set-CASMailbox -Identity <mailbox> -ImapEnabled $true (POP: -PopEnabled $true); Google ' +
          'Workspace: Admin console → Apps → Gmail → End user access → POP and IMAP access on. Then Re-authorize.',
      },
    },
  },
  ERR_MAILBOX_ACCESS_DENIED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 422,
    message: 'The mail server accepted the login but cannot open the mailbox ("authenticated but not connected").',
    fix: 'Give the signed-in user full access to the mailbox, or correct the mailbox address.',
  },
  ERR_APP_MAILBOX_ACCESS_DENIED: {
    retryable: false,
    status: 'needs_reauth',
    httpStatus: 422,
    message:
      "The mailbox refused the app's own token: the app has no access to this mailbox " +
      '(Exchange "User is authenticated but not connected", or a refused login).',
    fix:
      'Microsoft app-only: register the app in Exchange Online (New-ServicePrincipal -AppId <client id> -ObjectId ' +
      '<object id of the Enterprise application, not of the App registration>) and give it this mailbox ' +
      '(Add-MailboxPermission -Identity <mailbox> -User <service principal id> -AccessRights FullAccess); a wrong ' +
      'object id gives the same refusal. Google service account: the mailbox must be a user of the Workspace domain ' +
      'with IMAP allowed. Then click Connect.',
  },
  ERR_MAIL_TOKEN_EXPIRED: {
    retryable: true,
    status: null,
    httpStatus: 502,
    message: 'The mail server ended the session because the access token expired.',
    fix: 'Nothing to do: the plugin refreshes the token and reconnects.',
  },
  ERR_MAIL_TLS: {
    retryable: true,
    status: 'retrying',
    httpStatus: 502,
    message:
      "The mail server's TLS certificate could not be verified: it is signed by an untrusted CA or does not name the " +
      'host the account connects to.',
    fix:
      "Use the host name on the server's certificate, or trust its CA: set the plugin config fetch.caCertPem (or " +
      'start the helpdesk with NODE_EXTRA_CA_CERTS); verification is never switched off.',
  },
  ERR_MAIL_TLS_MODE: {
    retryable: false,
    status: 'retrying',
    httpStatus: 422,
    message:
      'TLS was spoken to a plain-text port, or plain text to a TLS port (OpenSSL "wrong version number", or no ' +
      'greeting): the TLS mode does not match the port.',
    fix:
      'Match the TLS mode to the port: implicit TLS on 993 (IMAP), 995 (POP3) or 465 (SMTP); STARTTLS on 143 ' +
      '(IMAP), 110 (POP3) or 587 (SMTP).',
  },
  ERR_MAIL_PORT_CLOSED: {
    retryable: true,
    status: 'retrying',
    httpStatus: 502,
    message:
      "Nothing accepts connections on the mail server's port (connection refused): the server is down or the " +
      'port is wrong.',
    fix:
      'Check the host and port (IMAP 993 or 143, POP3 995 or 110, SMTP 587 or 465); when the server is only down ' +
      'for a while, polling resumes by itself once it is back.',
  },
  ERR_MAIL_UNAVAILABLE: {
    retryable: true,
    status: 'retrying',
    httpStatus: 502,
    message: 'The mail server could not be reached or dropped the connection.',
    fix: 'Nothing to do if it passes; otherwise check host, port and TLS mode.',
  },
  ERR_MAIL_FOLDER_NOT_FOUND: {
    retryable: false,
    status: 'retrying',
    httpStatus: 422,
    message: 'The configured folder does not exist in the mailbox.',
    fix: 'Pick an existing folder in the account settings (Test connection lists them).',
  },
  ERR_MAIL_OPERATION_FAILED: {
    retryable: true,
    status: null,
    httpStatus: 502,
    message: 'The mail server refused to flag, move or delete a fetched message.',
    fix: 'Check the target folder and the mailbox permissions.',
  },
  ERR_MESSAGE_TOO_LARGE: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message: 'A message is larger than the size limit and was left on the server.',
    fix: 'Raise the size limit or handle the message by hand.',
  },
  ERR_SMTP_AUTH_FAILED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message:
      'The SMTP server refused the access token for sending: the send permission is missing or SMTP sign-in is off ' +
      'for this mailbox.',
    fix:
      'Turn sending on for the account and click Re-authorize so the send permission is granted (Microsoft: SMTP.Send, ' +
      'Google: https://mail.google.com/); on Exchange Online also check that SMTP AUTH is allowed for the mailbox ' +
      'and that security defaults or a Conditional Access policy do not block it.',
  },
  ERR_SMTP_AUTH_DISABLED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message:
      'Exchange Online has SMTP AUTH switched off for this mailbox or for the whole organization ' +
      '(535 5.7.139 SmtpClientAuthentication is disabled).',
    fix:
      'Run Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false (for the organization: ' +
      'Set-TransportConfig -SmtpClientAuthenticationDisabled $false), then send again.',
  },
  ERR_SMTP_SENDER_REFUSED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message: 'The SMTP server does not let this login send as the From address.',
    fix:
      "Send from the account's own address, or grant Send As (Exchange: Add-RecipientPermission -Identity <shared " +
      'mailbox> -Trustee <delegate> -AccessRights SendAs; Google: a verified "Send mail as" address).',
  },
  ERR_SMTP_RECIPIENT_REFUSED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message: 'The SMTP server refused every recipient of the message.',
    fix: 'Check the recipient addresses; the answer shown with the error says why the server refused them.',
  },
  ERR_SMTP_MESSAGE_REFUSED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message: 'The SMTP server refused the message (size, content or policy).',
    fix: "Read the server's answer shown with the error; shorten or change the message, or ask the mail administrator.",
  },
  ERR_SMTP_TEMPORARY: {
    retryable: true,
    status: null,
    httpStatus: 502,
    message: 'The SMTP server refused for now (a temporary answer such as 421 or 454 4.7.0).',
    fix: 'Nothing to do: the message stays queued and is tried again with backoff.',
  },
} as const satisfies ErrorRows;

/** Time limits and faults of the plugin itself. */
const GENERAL_ERRORS = {
  ERR_TIMEOUT: {
    retryable: true,
    status: 'retrying',
    httpStatus: 504,
    message: 'The operation took too long and was stopped.',
    fix: 'Nothing to do if it passes; a large mailbox continues on the next cycle.',
  },
  ERR_ADDRESS_REFUSED: {
    retryable: false,
    status: null,
    httpStatus: 422,
    message:
      'The plugin did not connect: the host is, or resolves to, a link-local, cloud metadata or private network address.',
    fix: "Use the server's public host name; for a server in your own network set the plugin config allowPrivateNetworks (link-local and metadata addresses are never allowed).",
  },
  ERR_LEASE_LOST: {
    retryable: true,
    status: null,
    httpStatus: 409,
    message: "Another host process took over this mailbox's poll (this one's lease lapsed).",
    fix: 'Nothing to do: the other process goes on with it; if it repeats, check that the host processes are not stalled.',
  },
  ERR_INTERNAL: {
    retryable: true,
    status: null,
    httpStatus: 500,
    message: 'An unexpected error happened.',
    fix: 'See the log for details and report it if it repeats.',
  },
} as const satisfies ErrorRows;
/** The rows of one group, each tagged with the group's name. */
function inGroup<G extends ErrorGroup, R extends ErrorRows>(
  group: G,
  rows: R,
): { readonly [K in keyof R]: R[K] & { readonly group: G } } {
  const tagged = Object.entries(rows).map(([code, row]) => [code, { ...row, group }]);
  return Object.fromEntries(tagged) as { readonly [K in keyof R]: R[K] & { readonly group: G } };
}

/** The table: code -> group, retryable?, account status, HTTP status, admin message, fix. */
export const ERROR_CODES = Object.freeze({
  ...inGroup('input', INPUT_ERRORS),
  ...inGroup('host', HOST_CONTRACT_ERRORS),
  ...inGroup('oauth', OAUTH_GRANT_ERRORS),
  ...inGroup('mail', MAIL_SERVER_ERRORS),
  ...inGroup('general', GENERAL_ERRORS),
}) satisfies Readonly<Record<string, ErrorCodeInfo>>;

/** Every error code the plugin raises. */
export type PluginErrorCode = keyof typeof ERROR_CODES;

/** Extra, secret-free facts about an error (provider code, AADSTS number, field names …). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/**
 * The only error type that crosses a port.
 * @example
 * throw new PluginError('ERR_GRANT_INVALID', 'AADSTS70008: refresh token expired', { providerError: 'invalid_grant' });
 */
export class PluginError extends Error {
  /** One of {@link ERROR_CODES}. */
  readonly code: PluginErrorCode;
  /** Secret-free details for the admin screen and the log. */
  readonly details: ErrorDetails;

  /**
   * @param code - the closed code
   * @param detail - what exactly happened; defaults to the table's message; never include a secret
   * @param details - structured, secret-free facts
   * @param options - `cause` is kept for the log, never shown to the admin
   */
  constructor(code: PluginErrorCode, detail?: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(detail ?? ERROR_CODES[code].message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  /** The table row of this error's code. */
  get info(): ErrorCodeInfo {
    return ERROR_CODES[this.code];
  }
}

/** True when `value` is a {@link PluginError} (or a subclass), also across module copies. */
export function isPluginError(value: unknown): value is PluginError {
  if (value instanceof PluginError) return true;
  if (!(value instanceof Error)) return false;
  const { code, details } = value as { code?: unknown; details?: unknown };
  return typeof code === 'string' && code in ERROR_CODES && typeof details === 'object' && details !== null;
}

/**
 * Turns anything thrown into a {@link PluginError}; unknown errors become `ERR_INTERNAL` with the original as `cause`.
 * @param error - what was thrown
 * @param fallback - the code for an error that is not already a PluginError
 */
export function toPluginError(error: unknown, fallback: PluginErrorCode = 'ERR_INTERNAL'): PluginError {
  if (isPluginError(error)) return error;
  return new PluginError(fallback, undefined, {}, { cause: error });
}
