/**
 * What the admin registers at the provider, ready to copy: the exact redirect URI and the permissions (scopes) the
 * app will ask for, with the traps each provider is known for
 * (docs/providers.md#setup-traps-the-admin-screen-warns-about).
 */
import type { AppRegistration, MicrosoftCloud, ProviderKind } from '../ports/app-repository';
import { providerFor } from '../oauth/providers';
import { splitScopes } from '../oauth/scopes';
import { html, type SafeHtml } from '../../lib/html';

/** The fields of an app that decide the scopes. */
export type ScopeSource = Pick<AppRegistration, 'provider' | 'cloud' | 'scopes'>;

/** The scopes an IMAP account of this app asks for (the override, or the provider's default). */
export function scopesFor(app: ScopeSource): string[] {
  if (app.scopes && app.scopes.trim().length > 0) return splitScopes(app.scopes);
  const full: AppRegistration = {
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
    createdAt: 0,
    updatedAt: 0,
    ...app,
  };
  return providerFor(app.provider).defaultScopes(full, ['imap']);
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

function microsoftSteps(cloud: MicrosoftCloud): SafeHtml {
  return html`<ol>
<li>In the Entra admin center (<code>${PORTALS[cloud]}</code>) open <em>App registrations</em> &rarr; \
<em>New registration</em>. Platform: <strong>Web</strong> (not SPA, not mobile), redirect URI as above, exactly.</li>
<li><em>API permissions</em> &rarr; <em>Add a permission</em> &rarr; <em>Microsoft Graph</em> &rarr; \
<em>Delegated</em>: <code>IMAP.AccessAsUser.All</code> (<code>POP.AccessAsUser.All</code> and <code>SMTP.Send</code> \
only if you use them), <code>offline_access</code>, <code>openid</code>, <code>email</code>. Then \
<em>Grant admin consent</em> if your tenant requires it.</li>
<li><em>Certificates &amp; secrets</em> &rarr; <em>New client secret</em>: copy the <strong>Value</strong> (shown \
once), not the <em>Secret ID</em>, and note its expiry date below: you are warned before it lapses.</li>
<li>Tenant: the <em>Directory (tenant) ID</em> from the app's overview (or your domain); <code>organizations</code> \
accepts any work account.</li>
<li>Shared mailbox: connect as a user with <strong>FullAccess</strong> on it and tick "shared mailbox via a delegate" \
on the mail account.</li>
</ol>`;
}

function googleSteps(): SafeHtml {
  return html`<ol>
<li>Google Cloud console &rarr; <em>APIs &amp; Services</em> &rarr; <em>OAuth consent screen</em>: user type \
<strong>Internal</strong> (Workspace). An <em>External</em> app left in <strong>Testing</strong> gets refresh tokens \
that die after <strong>7 days</strong>: publish it to <em>In production</em>.</li>
<li>Add the scope <code>https://mail.google.com/</code> (plus <code>openid</code>, <code>email</code>).</li>
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

function setupSteps(provider: ProviderKind, cloud: MicrosoftCloud): SafeHtml {
  if (provider === 'microsoft') return microsoftSteps(cloud);
  if (provider === 'google') return googleSteps();
  return genericSteps();
}

/**
 * The box with the redirect URI and the permissions to grant.
 * @param provider - the provider kind
 * @param app - the scope-relevant fields (entered or stored)
 * @param redirectUri - `host.routes.publicUrl('/callback')`
 */
export function providerSetupBox(
  provider: ProviderKind,
  app: Omit<ScopeSource, 'provider'>,
  redirectUri: string,
): SafeHtml {
  const scopes = scopesFor({ ...app, provider });
  const steps = setupSteps(provider, app.cloud ?? 'global');
  return html`<section class="box setup" id="provider-setup">
<h2>Register this at the provider</h2>
${copyField('redirect-uri', 'Redirect URI (exact, including the path)', redirectUri)}
${copyField('requested-scopes', 'Permissions (scopes) this app asks for', scopes.join(' '))}
${steps}
</section>`;
}
