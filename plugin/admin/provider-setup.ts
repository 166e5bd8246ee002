/**
 * What the admin registers at the provider, ready to copy: the exact redirect URI and the permissions (scopes) the
 * app will ask for, with the traps each provider is known for
 * (docs/providers.md#setup-traps-the-admin-screen-warns-about).
 */
import {
  CLIENT_SECRET_CREDENTIAL,
  type AppRegistration,
  type CredentialType,
  type MicrosoftCloud,
  type ProviderKind,
} from '../ports/app-repository';
import { providerFor } from '../oauth/providers';
import { appTokenScope, splitScopes } from '../oauth/scopes';
import { html, type SafeHtml } from '../../lib/html';

/** The fields of an app that decide the scopes. */
export type ScopeSource = Pick<AppRegistration, 'provider' | 'cloud' | 'scopes'> &
  Partial<Pick<AppRegistration, 'appTokenScope'>>;

function fullApp(app: ScopeSource): AppRegistration {
  return {
    id: '',
    name: '',
    tenant: null,
    issuerUrl: null,
    authorizeUrl: null,
    tokenUrl: null,
    revocationUrl: null,
    userinfoUrl: null,
    clientId: '',
    secretExpiresAt: null,
    incident: null,
    ...CLIENT_SECRET_CREDENTIAL,
    createdAt: 0,
    updatedAt: 0,
    ...app,
    appTokenScope: app.appTokenScope ?? null,
  };
}

/** The scopes an IMAP account of this app asks for (the override, or the provider's default). */
export function scopesFor(app: ScopeSource): string[] {
  if (app.scopes && app.scopes.trim().length > 0) return splitScopes(app.scopes);
  return providerFor(app.provider).defaultScopes(fullApp(app), ['imap']);
}

/** A read-only field whose whole value is visible (it wraps): a scope list is longer than an input is wide. */
function copyArea(id: string, label: string, value: string): SafeHtml {
  const rows = Math.max(1, Math.ceil(value.length / 80));
  return html`<div class="field">
<label for="${id}">${label}</label>
<textarea id="${id}" class="copy" readonly rows="${rows}" spellcheck="false">${value}</textarea>
</div>`;
}

function copyField(id: string, label: string, value: string): SafeHtml {
  return html`<div class="field">
<label for="${id}">${label}</label>
<input id="${id}" class="copy" type="text" readonly value="${value}">
</div>`;
}

/** The Microsoft Entra portal of a cloud. */
const PORTALS: Readonly<Record<MicrosoftCloud, string>> = {
  global: 'https://entra.microsoft.com',
  usgov: 'https://portal.azure.us',
  china: 'https://portal.azure.cn',
};

// A backslash at the end of a line inside these templates is a line continuation: the page text has no break there.

const MICROSOFT_SECRET_STEP = html`<li><em>Certificates &amp; secrets</em> &rarr; <em>New client secret</em>: copy the \
<strong>Value</strong> (shown once), not the <em>Secret ID</em>, and note its expiry date below: you are warned \
before it lapses.</li>`;

const MICROSOFT_CERTIFICATE_STEP = html`<li><em>Certificates &amp; secrets</em> &rarr; <em>Certificates</em> &rarr; \
<em>Upload certificate</em>: the certificate you paste below (its public part: .cer, .crt or .pem). \
Its expiry is read from it: \
you are warned before it lapses.</li>`;

/**
 * A Microsoft scope as the portal lists the permission:
 * `https://outlook.office.com/IMAP.AccessAsUser.All` → `IMAP.AccessAsUser.All`.
 */
function permissionName(scope: string): string {
  return scope.replace(/^https:\/\/[^/]+\//, '');
}

function permissionList(scopes: readonly string[]): SafeHtml[] {
  return scopes.map((scope, index) => html`${index === 0 ? '' : ', '}<code>${permissionName(scope)}</code>`);
}

function microsoftSteps(cloud: MicrosoftCloud, credential: CredentialType, scopes: readonly string[]): SafeHtml {
  const credentialStep = credential === 'certificate' ? MICROSOFT_CERTIFICATE_STEP : MICROSOFT_SECRET_STEP;
  return html`<ol>
<li>In the Entra admin center (<code>${PORTALS[cloud]}</code>) open <em>App registrations</em> &rarr; \
<em>New registration</em>. Platform: <strong>Web</strong> (not SPA, not mobile), redirect URI as above, exactly.</li>
<li><em>API permissions</em> &rarr; <em>Add a permission</em> &rarr; <em>Microsoft Graph</em> &rarr; \
<em>Delegated</em>: exactly the permissions above, ${permissionList(scopes)} (add <code>POP.AccessAsUser.All</code> \
and <code>SMTP.Send</code> only if you use them). Then <em>Grant admin consent</em> if your tenant requires it.</li>
${credentialStep}
<li>Tenant: the <em>Directory (tenant) ID</em> from the app's overview (or your domain); <code>organizations</code> \
accepts any work account.</li>
<li>Shared mailbox: connect as a user with <strong>FullAccess</strong> on it and tick "shared mailbox via a delegate" \
on the mail account.</li>
</ol>`;
}

function googleSteps(scopes: readonly string[]): SafeHtml {
  return html`<ol>
<li>Google Cloud console &rarr; <em>APIs &amp; Services</em> &rarr; <em>OAuth consent screen</em>: user type \
<strong>Internal</strong> (Workspace). An <em>External</em> app left in <strong>Testing</strong> gets refresh tokens \
that die after <strong>7 days</strong>: publish it to <em>In production</em>.</li>
<li>Add exactly the scopes above: ${permissionList(scopes)}.</li>
<li><em>Credentials</em> &rarr; <em>Create credentials</em> &rarr; <em>OAuth client ID</em> &rarr; type \
<strong>Web application</strong>; add the redirect URI above under <em>Authorized redirect URIs</em>, exactly.</li>
<li>IMAP must be allowed for the users (Workspace admin console &rarr; Gmail &rarr; End user access).</li>
</ol>`;
}

function genericSteps(): SafeHtml {
  return html`<ol>
<li>Register a confidential client (authorization code flow, PKCE S256) with the redirect URI above.</li>
<li>Allow the scopes below; add the scope that opens the mailbox (for example <code>mail</code>) to the app's scopes \
if your server needs one.</li>
</ol>`;
}

function setupSteps(
  provider: ProviderKind,
  cloud: MicrosoftCloud,
  credential: CredentialType,
  scopes: readonly string[],
): SafeHtml {
  if (provider === 'microsoft') return microsoftSteps(cloud, credential, scopes);
  if (provider === 'google') return googleSteps(scopes);
  return genericSteps();
}

/** Microsoft's app-only permissions: what an app-only mail account needs besides the app (docs/providers.md). */
function microsoftAppOnlySteps(scope: string): SafeHtml {
  return html`<h3>App-only access (optional: mailboxes without a sign-in)</h3>
<ol>
<li><em>API permissions</em> &rarr; <em>Add a permission</em> &rarr; <em>APIs my organization uses</em> &rarr; \
<em>Office 365 Exchange Online</em> &rarr; <em>Application permissions</em>: <code>IMAP.AccessAsApp</code> \
(<code>POP.AccessAsApp</code>, <code>SMTP.SendAsApp</code> only if you use them), then <em>Grant admin consent</em>.</li>
<li>Exchange Online PowerShell: register the app and give it each mailbox; every app-only mail account's page shows \
these lines with its ids filled in (<code>New-ServicePrincipal</code>, <code>Add-MailboxPermission … FullAccess</code>).</li>
<li>Tokens ask for <code>${scope}</code>; the tenant must be the directory's GUID or domain, not \
<code>organizations</code>.</li>
</ol>`;
}

/** Google's service account with domain-wide delegation (docs/providers.md#google-service-accounts). */
function serviceAccountSteps(clientId: string | null, scope: string): SafeHtml {
  return html`<ol>
<li>Google Cloud console &rarr; <em>IAM &amp; Admin</em> &rarr; <em>Service accounts</em> &rarr; \
<em>Create service account</em>; then <em>Keys</em> &rarr; <em>Add key</em> &rarr; <em>Create new key</em> &rarr; \
<strong>JSON</strong>, and paste the downloaded file into the form below (it is read once; the key is stored \
encrypted).</li>
<li>Workspace Admin console &rarr; <em>Security</em> &rarr; <em>Access and data control</em> &rarr; \
<em>API controls</em> &rarr; <em>Manage Domain Wide Delegation</em> &rarr; <em>Add new</em>: the client ID and the \
scope below. Without it Google answers "unauthorized_client … not authorized for any of the scopes requested"; a \
new entry can take up to 24 hours.</li>
<li>IMAP must be allowed for the mailboxes' users (Admin console &rarr; Gmail &rarr; End user access). Personal \
@gmail.com accounts cannot be reached this way.</li>
</ol>
${copyField('delegation-client-id', 'Client ID for the delegation entry', clientId ?? 'the client_id of the key file')}
${copyField('delegation-scope', 'OAuth scope for the delegation entry', scope)}`;
}

/**
 * The box with the redirect URI and the permissions to grant.
 * @param provider - the provider kind
 * @param app - the scope-relevant fields (entered or stored)
 * @param redirectUri - `host.routes.publicUrl('/callback')`
 */
export function providerSetupBox(
  provider: ProviderKind,
  app: Omit<ScopeSource, 'provider'> & { readonly clientId?: string | null },
  redirectUri: string,
  credential: CredentialType = 'client_secret',
): SafeHtml {
  const tokenScope = appTokenScope(fullApp({ ...app, provider })) ?? '';
  if (credential === 'service_account')
    return html`<section class="box setup" id="provider-setup">
<h2>Set this up at Google</h2>
${serviceAccountSteps(app.clientId ?? null, tokenScope)}
</section>`;
  const scopes = scopesFor({ ...app, provider });
  const steps = setupSteps(provider, app.cloud ?? 'global', credential, scopes);
  return html`<section class="box setup register-first" id="provider-setup">
<h2>Register this at the provider</h2>
${copyField('redirect-uri', 'Redirect URI (exact, including the path)', redirectUri)}
${copyArea('requested-scopes', 'Permissions (scopes) this app asks for', scopes.join(' '))}
${steps}
${provider === 'microsoft' ? microsoftAppOnlySteps(tokenScope) : ''}
</section>`;
}
