/**
 * Microsoft Entra ID / Exchange Online (docs/providers.md#microsoft-entra-id-and-exchange-online): national clouds,
 * tenants, Outlook-prefixed delegated scopes, default hosts, and the AADSTS codes that decide between
 * re-authorization, app error and retry.
 */
import { PluginError, type PluginErrorCode } from '../../errors';
import type { MailAccount } from '../../ports/account-repository';
import type { AppRegistration, MicrosoftCloud } from '../../ports/app-repository';
import type { OAuthEndpoints } from '../../ports/oauth-client';
import { classifyStandard, isTransportError, providerCodesOf, recode } from './oauth-error-codes';
import type { MailServer, MailService, OAuthProvider } from './provider';

/** Per cloud: the login host, the Exchange resource the delegated scopes are prefixed with, and the mail hosts. */
export const MICROSOFT_CLOUDS: Readonly<
  Record<
    MicrosoftCloud,
    {
      readonly loginHost: string;
      readonly resource: string;
      readonly mailHost: string;
      readonly smtpHost: string;
      /** The `.default` scope of app-only tokens (docs/providers.md#microsoft-app-only-access). */
      readonly appOnlyScope: string;
    }
  >
> = {
  global: {
    loginHost: 'https://login.microsoftonline.com',
    resource: 'https://outlook.office.com/',
    mailHost: 'outlook.office365.com',
    smtpHost: 'smtp.office365.com',
    appOnlyScope: 'https://outlook.office365.com/.default',
  },
  usgov: {
    loginHost: 'https://login.microsoftonline.us',
    resource: 'https://outlook.office365.us/',
    mailHost: 'outlook.office365.us',
    smtpHost: 'smtp.office365.us',
    appOnlyScope: 'https://outlook.office365.us/.default',
  },
  china: {
    loginHost: 'https://login.partner.microsoftonline.cn',
    resource: 'https://partner.outlook.cn/',
    mailHost: 'partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    appOnlyScope: 'https://partner.outlook.cn/.default',
  },
};

/** The other resource host Microsoft documents for app-only IMAP / POP tokens (docs/providers.md#microsoft-app-only-access). */
export const MICROSOFT_ALTERNATIVE_APP_ONLY_SCOPE = 'https://ps.outlook.com/.default';

/** The delegated permission per service (the resource prefix is added per cloud). */
const SERVICE_SCOPES: Readonly<Record<MailService, string>> = {
  imap: 'IMAP.AccessAsUser.All',
  pop: 'POP.AccessAsUser.All',
  smtp: 'SMTP.Send',
};

/** The tenant forms Entra accepts in endpoint paths. */
export const MICROSOFT_TENANT_KEYWORDS = ['organizations', 'common', 'consumers'] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** True for a tenant GUID, a verified domain, `organizations`, `common` or `consumers`. */
export function isMicrosoftTenant(tenant: string): boolean {
  return (MICROSOFT_TENANT_KEYWORDS as readonly string[]).includes(tenant) || GUID.test(tenant) || DOMAIN.test(tenant);
}

/** AADSTS number -> code (docs/providers.md#aadsts-codes). Numbers not listed fall back to the `error` value. */
const AADSTS_CODES: Readonly<Record<string, PluginErrorCode>> = {
  '7000222': 'ERR_CLIENT_SECRET_EXPIRED',
  '7000215': 'ERR_CLIENT_INVALID',
  '7000218': 'ERR_CLIENT_INVALID',
  '700025': 'ERR_CLIENT_INVALID',
  '700027': 'ERR_CLIENT_INVALID',
  '700024': 'ERR_CLIENT_INVALID',
  '65001': 'ERR_CONSENT_REQUIRED',
  '65004': 'ERR_AUTHORIZATION_DENIED',
  '90094': 'ERR_CONSENT_REQUIRED',
  '90095': 'ERR_CONSENT_REQUIRED',
  '50076': 'ERR_INTERACTION_REQUIRED',
  '50079': 'ERR_INTERACTION_REQUIRED',
  '50078': 'ERR_INTERACTION_REQUIRED',
  '53003': 'ERR_INTERACTION_REQUIRED',
  '70008': 'ERR_GRANT_INVALID',
  '700082': 'ERR_GRANT_INVALID',
  '700084': 'ERR_GRANT_INVALID',
  '50173': 'ERR_GRANT_INVALID',
  '70000': 'ERR_GRANT_INVALID',
  '70043': 'ERR_GRANT_INVALID',
  '50089': 'ERR_GRANT_INVALID',
  '54005': 'ERR_GRANT_INVALID',
  '700016': 'ERR_PROVIDER_CONFIG',
  '90002': 'ERR_PROVIDER_CONFIG',
  '90038': 'ERR_PROVIDER_CONFIG',
  '70011': 'ERR_PROVIDER_CONFIG',
  '700022': 'ERR_PROVIDER_CONFIG',
  '500011': 'ERR_PROVIDER_CONFIG',
  '50194': 'ERR_PROVIDER_CONFIG',
  '50011': 'ERR_PROVIDER_CONFIG',
  '50196': 'ERR_PROVIDER_UNAVAILABLE',
  '90055': 'ERR_PROVIDER_UNAVAILABLE',
};

/** MSAL's `suberror` values on invalid_grant that mean "the user must do something", not "the grant is gone". */
const SUBERROR_CODES: Readonly<Record<string, PluginErrorCode>> = {
  consent_required: 'ERR_CONSENT_REQUIRED',
  basic_action: 'ERR_INTERACTION_REQUIRED',
  additional_action: 'ERR_INTERACTION_REQUIRED',
  user_password_expired: 'ERR_INTERACTION_REQUIRED',
  protection_policy_required: 'ERR_INTERACTION_REQUIRED',
};

/** True for a cloud of {@link MICROSOFT_CLOUDS}. */
export function isMicrosoftCloud(value: unknown): value is MicrosoftCloud {
  return typeof value === 'string' && Object.hasOwn(MICROSOFT_CLOUDS, value);
}

/** @throws PluginError ERR_PROVIDER_CONFIG for a stored cloud this version does not know (never from the forms) */
function cloudOf(app: AppRegistration): (typeof MICROSOFT_CLOUDS)[MicrosoftCloud] {
  const cloud = app.cloud ?? 'global';
  if (!isMicrosoftCloud(cloud))
    throw new PluginError('ERR_PROVIDER_CONFIG', `App "${app.name}" names an unknown Microsoft cloud.`, {
      appId: app.id,
      field: 'cloud',
    });
  return MICROSOFT_CLOUDS[cloud];
}

/** The Microsoft provider. */
export const microsoftProvider: OAuthProvider = {
  kind: 'microsoft',
  refreshWithScope: true,

  presetEndpoints(app: AppRegistration): OAuthEndpoints {
    const { loginHost } = cloudOf(app);
    const tenant = encodeURIComponent(app.tenant ?? 'organizations');
    const isGuid = GUID.test(app.tenant ?? '');
    return {
      authorizeUrl: `${loginHost}/${tenant}/oauth2/v2.0/authorize`,
      tokenUrl: `${loginHost}/${tenant}/oauth2/v2.0/token`,
      // Entra has no RFC 7009 endpoint for refresh tokens: Disconnect just deletes them
      // (docs/providers.md#microsoft-endpoints-and-clouds).
      revocationUrl: null,
      // Graph's userinfo needs a Graph token; ours is for Exchange. The ID token carries the identity instead.
      userinfoUrl: null,
      jwksUri: `${loginHost}/${tenant}/discovery/v2.0/keys`,
      issuer: isGuid ? `${loginHost}/${app.tenant!.toLowerCase()}/v2.0` : `${loginHost}/{tenantid}/v2.0`,
      deviceAuthorizationUrl: `${loginHost}/${tenant}/oauth2/v2.0/devicecode`,
    };
  },

  defaultScopes(app: AppRegistration, services: readonly MailService[]): string[] {
    const { resource } = cloudOf(app);
    // `profile` brings preferred_username (the UPN) into the ID token: needed to name a hybrid account's sign-in.
    return [
      'openid',
      'profile',
      'email',
      'offline_access',
      ...services.map((service) => `${resource}${SERVICE_SCOPES[service]}`),
    ];
  },

  defaultAppTokenScope(app: AppRegistration): string {
    return cloudOf(app).appOnlyScope;
  },

  authorizeParams(_account: MailAccount): Readonly<Record<string, string>> {
    // select_account: the admin picks the account instead of silently reusing the one signed in at Microsoft.
    return { response_mode: 'query', prompt: 'select_account' };
  },

  defaultServer(app: AppRegistration, service: MailService): MailServer {
    const cloud = cloudOf(app);
    if (service === 'smtp') return { host: cloud.smtpHost, port: 587, tls: 'starttls' };
    if (service === 'pop') return { host: cloud.mailHost, port: 995, tls: 'implicit' };
    return { host: cloud.mailHost, port: 993, tls: 'implicit' };
  },

  classify(error: PluginError): PluginError {
    if (isTransportError(error)) return error;
    // Microsoft calls AADSTS numbers changeable; a known one still names the exact case, else `error` decides
    // (docs/providers.md#aadsts-codes).
    for (const number of providerCodesOf(error)) {
      const code = AADSTS_CODES[number];
      if (code) return recode(error, code);
    }
    const suberror = error.details.suberror;
    if (typeof suberror === 'string' && SUBERROR_CODES[suberror]) return recode(error, SUBERROR_CODES[suberror]!);
    return classifyStandard(error);
  },
};

/** @internal exported for the message of a wrong tenant. */
export function describeTenantRule(): string {
  return 'a tenant GUID, a verified domain (contoso.com), organizations, common or consumers';
}

/** @throws PluginError ERR_INPUT_INVALID when the tenant is not one of the accepted forms */
export function assertMicrosoftTenant(tenant: string): void {
  if (!isMicrosoftTenant(tenant))
    throw new PluginError('ERR_INPUT_INVALID', `tenant: must be ${describeTenantRule()}.`, { fields: ['tenant'] });
}
