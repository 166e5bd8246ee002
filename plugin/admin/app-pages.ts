/**
 * App registration pages: the list (on the main screen), the provider choice, and the create / edit form that shows
 * only the fields the chosen provider and credential need (client secret, certificate, service account key). The
 * client secret and the private keys are write-only: never rendered back, empty on edit keeps the stored ones.
 */
import type { AppRegistration, CredentialType, MicrosoftCloud, ProviderKind } from '../ports/app-repository';
import { readClientCertificate } from '../oauth/client-certificate';
import { MICROSOFT_ALTERNATIVE_APP_ONLY_SCOPE, MICROSOFT_CLOUDS } from '../oauth/providers/microsoft';
import { CREDENTIAL_WARNING_DAYS, expiringCredential, warningStage } from '../oauth/secret-expiry';
import { ROUTE_PATHS, type AdminPaths } from './admin-paths';
import type { FieldErrors } from './field-errors';
import { daysUntil, formatDate } from './formatting';
import {
  csrfField,
  formActions,
  formErrorsNotice,
  hiddenField,
  inputField,
  postButton,
  selectField,
  textareaField,
  type SelectOption,
} from './form-widgets';
import { booleanAttribute, html, tableHead, type SafeHtml } from '../../lib/html';
import { providerSetupBox } from './provider-setup';
import { isMicrosoftCloud } from '../oauth/providers/microsoft';

/** Provider names as admins know them. */
export const PROVIDER_LABELS: Readonly<Record<ProviderKind, string>> = {
  microsoft: 'Microsoft 365 / Exchange Online (Entra ID)',
  google: 'Google Workspace / Gmail',
  generic: 'Other OAuth2 / OpenID Connect provider',
};

/** Every field name an app form can carry (the secret included). */
export const APP_FORM_FIELDS = [
  'name',
  'provider',
  'cloud',
  'tenant',
  'issuerUrl',
  'authorizeUrl',
  'tokenUrl',
  'revocationUrl',
  'userinfoUrl',
  'deviceAuthorizationUrl',
  'clientId',
  'credentialType',
  'clientSecret',
  'secretExpiresAt',
  'clientCertificate',
  'clientKey',
  'assertionAlgorithm',
  'serviceAccountKey',
  'scopes',
  'appTokenScope',
  'servicePrincipalId',
  'authorizePrompt',
] as const;

/** The fields never rendered back: the client secret and the private keys. */
const WRITE_ONLY_FIELDS: ReadonlySet<string> = new Set(['clientSecret', 'clientKey', 'serviceAccountKey']);

/** Entered or stored values of an app form, as strings. No secret or private key is ever among them. */
export type AppFormValues = Partial<Record<(typeof APP_FORM_FIELDS)[number], string>>;

/** The credentials each provider offers, the first the default. */
export const PROVIDER_CREDENTIALS: Readonly<Record<ProviderKind, readonly CredentialType[]>> = {
  microsoft: ['client_secret', 'certificate'],
  google: ['client_secret', 'service_account'],
  generic: ['client_secret', 'certificate', 'service_account'],
};

/** Credential kinds as admins know them. */
export const CREDENTIAL_LABELS: Readonly<Record<CredentialType, string>> = {
  client_secret: 'Client secret',
  certificate: 'Certificate',
  service_account: 'Service account key',
};

/** A stored app as form values (no secret). */
export function appFormValues(app: AppRegistration): AppFormValues {
  return {
    name: app.name,
    provider: app.provider,
    cloud: app.cloud ?? '',
    tenant: app.tenant ?? '',
    issuerUrl: app.issuerUrl ?? '',
    authorizeUrl: app.authorizeUrl ?? '',
    tokenUrl: app.tokenUrl ?? '',
    revocationUrl: app.revocationUrl ?? '',
    userinfoUrl: app.userinfoUrl ?? '',
    deviceAuthorizationUrl: app.deviceAuthorizationUrl ?? '',
    clientId: app.clientId,
    credentialType: app.credentialType,
    secretExpiresAt: formatDate(app.secretExpiresAt),
    clientCertificate: app.certificatePem ?? '',
    assertionAlgorithm: app.assertionAlgorithm ?? '',
    scopes: app.scopes ?? '',
    appTokenScope: app.appTokenScope ?? '',
    servicePrincipalId: app.servicePrincipalId ?? '',
    authorizePrompt: app.authorizePrompt ?? '',
  };
}

/** Submitted form values: only the known fields, as strings, and never a secret or a private key. */
export function submittedAppValues(form: Readonly<Record<string, string>>): AppFormValues {
  const values: AppFormValues = {};
  for (const field of APP_FORM_FIELDS)
    if (!WRITE_ONLY_FIELDS.has(field) && typeof form[field] === 'string') values[field] = form[field];
  return values;
}

/** The credential of a request (`?credential=` or the form) when the provider offers it, else the provider's default. */
export function credentialOf(provider: ProviderKind, value: string | undefined): CredentialType {
  const offered = PROVIDER_CREDENTIALS[provider];
  return offered.find((credential) => credential === value) ?? offered[0]!;
}

/** The provider of a request (`?provider=` or the form), or null when it is none of the three. */
export function providerOf(value: string | undefined): ProviderKind | null {
  return value === 'microsoft' || value === 'google' || value === 'generic' ? value : null;
}

/** What the screen says about the expiry of an app's client secret, and how loud. */
export interface SecretExpiryNote {
  readonly tone: 'warn' | 'error' | 'ok';
  readonly text: string;
}

/**
 * The expiry words for an app's credential (the secret's entered date, the certificate's notAfter): warned
 * {@link CREDENTIAL_WARNING_DAYS} ahead, as the notifications are; null when nothing is known to expire.
 */
export function secretExpiryNote(
  app: Pick<AppRegistration, 'credentialType' | 'secretExpiresAt' | 'certificateExpiresAt'>,
  now: number,
): SecretExpiryNote | null {
  const credential = expiringCredential(app);
  if (!credential) return null;
  const { kind, expiresAt } = credential;
  const stage = warningStage(expiresAt, now);
  if (stage === 'expired') return { tone: 'error', text: `${kind} expired on ${formatDate(expiresAt)}` };
  const days = daysUntil(expiresAt, now);
  if (stage)
    return { tone: 'warn', text: `${kind} expires in ${days} day${days === 1 ? '' : 's'} (${formatDate(expiresAt)})` };
  return { tone: 'ok', text: `${kind} valid until ${formatDate(expiresAt)}` };
}

function tenantLine(app: AppRegistration): SafeHtml {
  if (app.provider !== 'microsoft') return html``;
  const cloud = app.cloud && app.cloud !== 'global' ? html`, cloud ${app.cloud}` : '';
  return html`<br><small class="muted">tenant ${app.tenant ?? 'organizations'}${cloud}</small>`;
}

function secretCell(app: AppRegistration, note: SecretExpiryNote | null): SafeHtml {
  const kind = html`${CREDENTIAL_LABELS[app.credentialType]}<br>`;
  if (!note)
    return app.credentialType === 'client_secret'
      ? html`${kind}<span class="muted">stored (no expiry date entered)</span>`
      : html`${kind}<span class="muted">stored</span>`;
  return html`${kind}<span class="badge ${note.tone}">${note.text}</span>`;
}

function appRow(app: AppRegistration, accountCount: number, paths: AdminPaths, now: number): SafeHtml {
  return html`<tr data-app-id="${app.id}">
<td><a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a></td>
<td>${PROVIDER_LABELS[app.provider]}${tenantLine(app)}</td>
<td><code>${app.clientId}</code></td>
<td>${secretCell(app, secretExpiryNote(app, now))}</td>
<td>${accountCount}</td>
</tr>`;
}

const APP_COLUMNS = ['Name', 'Provider', 'Client id', 'Credential', 'Accounts'];

function appTable(rows: readonly SafeHtml[]): SafeHtml {
  return html`<table id="app-list">
${tableHead(APP_COLUMNS)}
<tbody>
${rows}
</tbody>
</table>`;
}

const NO_APPS =
  'No app registration yet. ' +
  'Create one first: it is what Microsoft, Google or your provider knows this helpdesk by.';

const APPS_INTRO =
  'An app registration holds the OAuth2 client (its id, and a secret, a certificate or a service account key) ' +
  'that mail accounts get their tokens through; many accounts can share one.';

/**
 * The app registrations table of the main screen.
 * @param apps - every app
 * @param accountCounts - accounts per app id
 */
export function appListSection(
  apps: readonly AppRegistration[],
  accountCounts: ReadonlyMap<string, number>,
  paths: AdminPaths,
  now: number,
): SafeHtml {
  const rows = apps.map((app) => appRow(app, accountCounts.get(app.id) ?? 0, paths, now));
  const list = apps.length === 0 ? html`<p id="no-apps">${NO_APPS}</p>` : appTable(rows);
  return html`<section id="apps">
<h2>App registrations</h2>
<p class="muted">${APPS_INTRO}</p>
${list}
<p class="actions"><a class="button" id="add-app" href="${paths.to(ROUTE_PATHS.appNew)}">Add app registration</a></p>
</section>`;
}

/** What each provider choice says about the provider. */
const PROVIDER_SUMMARIES: Readonly<Record<ProviderKind, string>> = {
  microsoft:
    'Entra ID app registration with a client secret or a certificate; delegated or app-only access; shared ' +
    'mailboxes through a delegate.',
  google:
    'Google Cloud OAuth client (Web application), or a service account with domain-wide delegation; scope ' +
    'https://mail.google.com/.',
  generic: 'Any standards-compliant server: issuer URL (discovery) or explicit endpoints.',
};

function providerChoice(paths: AdminPaths, provider: ProviderKind): SafeHtml {
  const href = paths.to(`${ROUTE_PATHS.appNew}?provider=${provider}`);
  const link = html`<a class="button" id="provider-${provider}" href="${href}">${PROVIDER_LABELS[provider]}</a>`;
  return html`<li>${link} <span class="muted">${PROVIDER_SUMMARIES[provider]}</span></li>`;
}

/** The provider choice before the app form. */
export function providerChoiceBody(paths: AdminPaths): SafeHtml {
  return html`<p>Which provider hosts the mailboxes?</p>
<ul class="providers">
${providerChoice(paths, 'microsoft')}
${providerChoice(paths, 'google')}
${providerChoice(paths, 'generic')}
</ul>
<p><a href="${paths.to(ROUTE_PATHS.accounts)}">Back to the mail accounts</a></p>`;
}

/** Everything the app form needs. */
export interface AppFormInput {
  readonly mode: 'create' | 'edit';
  readonly provider: ProviderKind;
  readonly credential: CredentialType;
  readonly values: AppFormValues;
  readonly errors: FieldErrors | null;
  readonly csrfToken: string | undefined;
  readonly paths: AdminPaths;
  readonly redirectUri: string;
  /** The stored app (edit). */
  readonly app?: AppRegistration;
  /** Accounts that use the app (edit: the delete button explains why it is refused). */
  readonly accountCount?: number;
  readonly now: number;
}

function advancedEndpoints(input: AppFormInput, intro: string): SafeHtml {
  const { values, errors } = input;
  const names = [
    'issuerUrl',
    'authorizeUrl',
    'tokenUrl',
    'revocationUrl',
    'userinfoUrl',
    'deviceAuthorizationUrl',
    'scopes',
  ] as const;
  const open = names.some((name) => (values[name] ?? '').trim().length > 0 || (errors?.[name] ?? []).length > 0);
  const scopes = inputField({
    name: 'scopes',
    label: 'Scopes (space-separated)',
    value: values.scopes,
    errors,
    hint: 'Leave empty for the provider\'s default scopes (shown under "Register this at the provider").',
  });
  return html`<details id="advanced"${booleanAttribute('open', open)}>
<summary>Advanced: endpoints and scopes</summary>
<p class="muted">${intro}</p>
${urlFields(input)}
${scopes}
</details>`;
}

function urlFields({ values, errors }: AppFormInput): SafeHtml[] {
  return [
    inputField({
      name: 'issuerUrl',
      label: 'Issuer URL (OpenID Connect discovery)',
      type: 'url',
      value: values.issuerUrl,
      errors,
      placeholder: 'https://login.example.com/realms/mail',
      hint: 'The endpoints are read from ISSUER/.well-known/openid-configuration.',
    }),
    inputField({
      name: 'authorizeUrl',
      label: 'Authorization endpoint',
      type: 'url',
      value: values.authorizeUrl,
      errors,
      hint: 'Only without an issuer URL (or to override discovery); needs the token endpoint too.',
    }),
    inputField({ name: 'tokenUrl', label: 'Token endpoint', type: 'url', value: values.tokenUrl, errors }),
    inputField({
      name: 'revocationUrl',
      label: 'Revocation endpoint (optional)',
      type: 'url',
      value: values.revocationUrl,
      errors,
    }),
    inputField({
      name: 'userinfoUrl',
      label: 'Userinfo endpoint (optional)',
      type: 'url',
      value: values.userinfoUrl,
      errors,
    }),
    inputField({
      name: 'deviceAuthorizationUrl',
      label: 'Device authorization endpoint (optional)',
      type: 'url',
      value: values.deviceAuthorizationUrl,
      errors,
      hint: 'For "Connect with a code" (RFC 8628), when discovery does not name it.',
    }),
  ];
}

function secretHint(input: AppFormInput): string {
  if (input.mode === 'edit')
    return (
      'Stored encrypted and never shown again. ' +
      'Leave empty to keep the stored secret; paste a new VALUE to replace it.'
    );
  if (input.provider === 'microsoft')
    return (
      "The secret's VALUE (shown once when you create it), not its Secret ID. " + 'Stored encrypted, never shown again.'
    );
  return 'Stored encrypted, never shown again.';
}

function secretField(input: AppFormInput): SafeHtml {
  return inputField({
    name: 'clientSecret',
    label: 'Client secret',
    type: 'password',
    autocomplete: 'new-password',
    required: input.mode !== 'edit',
    errors: input.errors,
    hint: secretHint(input),
  });
}

const ALGORITHM_OPTIONS: readonly SelectOption[] = [
  { value: '', label: 'Default (Microsoft: PS256, others: RS256)' },
  { value: 'PS256', label: 'PS256 (RSA-PSS, what Entra documents today)' },
  { value: 'RS256', label: 'RS256 (RSA PKCS#1 v1.5)' },
];

function storedCertificateLine(app: AppRegistration | undefined): SafeHtml {
  if (!app?.certificatePem) return html``;
  let facts;
  try {
    facts = readClientCertificate(app.certificatePem);
  } catch {
    return html``;
  }
  return html`<p class="muted" id="stored-certificate">Stored certificate: ${facts.subject}, valid until \
${formatDate(facts.notAfter)}, SHA-256 thumbprint (x5t#S256) <code>${facts.sha256Thumbprint}</code>.</p>`;
}

function certificateFields(input: AppFormInput): SafeHtml[] {
  const { values, errors, mode } = input;
  const editing = mode === 'edit' && input.app?.credentialType === 'certificate';
  return [
    storedCertificateLine(editing ? input.app : undefined),
    textareaField({
      name: 'clientCertificate',
      label: 'Certificate (PEM)',
      value: values.clientCertificate,
      errors,
      required: !editing,
      placeholder: '-----BEGIN CERTIFICATE-----',
      hint:
        'The certificate whose public part you upload to the app at the provider. Its expiry is read from it: ' +
        `you are warned ${CREDENTIAL_WARNING_DAYS[0]} and ${CREDENTIAL_WARNING_DAYS[1]} days before mail would stop.`,
    }),
    textareaField({
      name: 'clientKey',
      label: 'Private key (PEM)',
      errors,
      required: !editing,
      placeholder: '-----BEGIN PRIVATE KEY-----',
      hint: editing
        ? 'Stored encrypted and never shown again. Leave empty to keep it; a new certificate needs its own key.'
        : 'The RSA key of the certificate, without a passphrase. Stored encrypted, never shown again.',
    }),
    selectField({
      name: 'assertionAlgorithm',
      label: 'Signature of the client assertion',
      value: values.assertionAlgorithm,
      errors,
      options: ALGORITHM_OPTIONS,
    }),
  ];
}

function storedServiceAccountLine(app: AppRegistration | undefined): SafeHtml {
  if (!app?.serviceAccountEmail) return html``;
  return html`<p class="muted" id="stored-service-account">Stored key of service account \
<code>${app.serviceAccountEmail}</code> (key id ${app.serviceAccountKeyId ?? 'unknown'}), token URL \
<code>${app.serviceAccountTokenUrl ?? "the app's token endpoint"}</code>.</p>`;
}

function serviceAccountFields(input: AppFormInput): SafeHtml[] {
  const editing = input.mode === 'edit' && input.app?.credentialType === 'service_account';
  return [
    storedServiceAccountLine(editing ? input.app : undefined),
    textareaField({
      name: 'serviceAccountKey',
      label: 'Service account key file (JSON)',
      errors: input.errors,
      required: !editing,
      rows: 8,
      placeholder: '{ "type": "service_account", "client_email": "…", "private_key": "…", … }',
      hint: editing
        ? 'Stored encrypted and never shown again. Leave empty to keep it; paste a new key file to replace it.'
        : 'The whole JSON file from Google Cloud console → Service accounts → Keys → Add key → JSON. It is read ' +
          'once: the private key is stored encrypted and never shown again.',
    }),
  ];
}

function credentialFields(input: AppFormInput): SafeHtml[] {
  if (input.credential === 'certificate') return certificateFields(input);
  if (input.credential === 'service_account') return serviceAccountFields(input);
  const expiry =
    input.provider === 'microsoft'
      ? inputField({
          name: 'secretExpiresAt',
          label: 'Client secret expires on',
          type: 'date',
          value: input.values.secretExpiresAt,
          errors: input.errors,
          hint:
            'From "Certificates & secrets": you are warned ' +
            `${CREDENTIAL_WARNING_DAYS[0]} and ${CREDENTIAL_WARNING_DAYS[1]} days before mail would stop.`,
        })
      : optionalSecretExpiry(input);
  return [secretField(input), expiry];
}

const APP_ONLY_SCOPE_HINT =
  'App-only tokens ask for the Exchange resource with .default. Microsoft documents two resource hosts; ' +
  'change it only if the default is refused.';

function appOnlyFields({ values, errors }: AppFormInput): SafeHtml {
  const cloud = (values.cloud as keyof typeof MICROSOFT_CLOUDS) || 'global';
  const preset = MICROSOFT_CLOUDS[cloud]?.appOnlyScope ?? MICROSOFT_CLOUDS.global.appOnlyScope;
  const open = (values.appTokenScope ?? '') !== '' || (values.servicePrincipalId ?? '') !== '';
  const options: SelectOption[] = [
    { value: '', label: `${preset} (default)` },
    { value: MICROSOFT_ALTERNATIVE_APP_ONLY_SCOPE, label: MICROSOFT_ALTERNATIVE_APP_ONLY_SCOPE },
  ];
  if (values.appTokenScope && !options.some((o) => o.value === values.appTokenScope))
    options.push({ value: values.appTokenScope, label: values.appTokenScope });
  return html`<details id="app-only"${booleanAttribute('open', open)}>
<summary>App-only access (mailboxes without a sign-in)</summary>
${selectField({ name: 'appTokenScope', label: 'Scope of app-only tokens', value: values.appTokenScope, errors, options, hint: APP_ONLY_SCOPE_HINT })}
${inputField({
  name: 'servicePrincipalId',
  label: 'Object ID of the Enterprise application (optional)',
  value: values.servicePrincipalId,
  errors,
  placeholder: '00000000-0000-0000-0000-000000000000',
  hint:
    "Entra admin center → Enterprise applications → this app → Object ID (not the App registration's Object ID). " +
    'Fills in the Exchange Online PowerShell lines on each app-only mail account.',
})}
</details>`;
}

const CLOUD_OPTIONS: readonly SelectOption[] = [
  { value: 'global', label: 'Global (login.microsoftonline.com)' },
  { value: 'usgov', label: 'US Government (login.microsoftonline.us)' },
  { value: 'china', label: 'China, 21Vianet (login.partner.microsoftonline.cn)' },
];

function optionalSecretExpiry({ values, errors }: AppFormInput): SafeHtml {
  return inputField({
    name: 'secretExpiresAt',
    label: 'Client secret expires on (optional)',
    type: 'date',
    value: values.secretExpiresAt,
    errors,
  });
}

function microsoftFields(input: AppFormInput): SafeHtml[] {
  const { values, errors } = input;
  return [
    selectField({ name: 'cloud', label: 'Cloud', value: values.cloud || 'global', errors, options: CLOUD_OPTIONS }),
    inputField({
      name: 'tenant',
      label: 'Tenant',
      value: values.tenant,
      errors,
      placeholder: 'organizations',
      hint: 'Directory (tenant) ID, or your domain (contoso.com); empty = organizations (any work or school account).',
    }),
    inputField({
      name: 'clientId',
      label: 'Application (client) ID',
      value: values.clientId,
      errors,
      required: true,
      placeholder: '00000000-0000-0000-0000-000000000000',
    }),
    ...credentialFields(input),
    appOnlyFields(input),
    advancedEndpoints(
      input,
      "Only for sovereign or test set-ups: an issuer URL here replaces the cloud's login endpoints.",
    ),
  ];
}

function googleFields(input: AppFormInput): SafeHtml[] {
  const { values, errors } = input;
  return [
    inputField({
      name: 'clientId',
      label: input.credential === 'service_account' ? 'Client ID (optional)' : 'Client ID',
      value: values.clientId,
      errors,
      required: input.credential !== 'service_account',
      placeholder:
        input.credential === 'service_account' ? '112233445566778899001' : '1234567890-abc.apps.googleusercontent.com',
      hint:
        input.credential === 'service_account'
          ? "Empty = the key file's client_id: the number the domain-wide delegation entry names."
          : undefined,
    }),
    ...credentialFields(input),
    advancedEndpoints(input, "Only for test set-ups: an issuer URL here replaces Google's endpoints."),
  ];
}

function genericFields(input: AppFormInput): SafeHtml[] {
  const { values, errors } = input;
  return [
    ...urlFields(input),
    inputField({ name: 'clientId', label: 'Client ID', value: values.clientId, errors, required: true }),
    ...credentialFields(input),
    inputField({
      name: 'appTokenScope',
      label: 'Scope of app tokens (optional)',
      value: values.appTokenScope,
      errors,
      hint: 'For app-only and service-account mail accounts; empty = the scopes below without openid/email/offline_access.',
    }),
    inputField({
      name: 'scopes',
      label: 'Scopes (space-separated)',
      value: values.scopes,
      errors,
      placeholder: 'openid email offline_access mail',
      hint: 'Empty = openid email offline_access; add the scope your server needs for mail access.',
    }),
    selectField({
      name: 'authorizePrompt',
      label: 'Account choice at sign-in',
      value: values.authorizePrompt,
      errors,
      options: PROMPT_OPTIONS,
      hint:
        'What Connect asks the server for (OpenID Connect prompt). Without it, a browser already signed in at the ' +
        'server connects that identity again without asking; not every server knows select_account.',
    }),
  ];
}

const PROMPT_OPTIONS: readonly SelectOption[] = [
  { value: '', label: "None: the server's sign-in page decides" },
  { value: 'select_account', label: 'Ask which account (select_account)' },
  { value: 'login', label: 'Ask for the password again (login)' },
  { value: 'select_account consent', label: 'Ask which account and for consent (select_account consent)' },
];

function providerFields(input: AppFormInput): SafeHtml[] {
  switch (input.provider) {
    case 'microsoft':
      return microsoftFields(input);
    case 'google':
      return googleFields(input);
    case 'generic':
      return genericFields(input);
  }
}

/** Example names for the name field, per provider. */
const NAME_PLACEHOLDERS: Readonly<Record<ProviderKind, string>> = {
  microsoft: 'Contoso Entra app',
  google: 'Example Workspace',
  generic: 'Our identity provider',
};

function nameField({ values, errors, provider }: AppFormInput): SafeHtml {
  return inputField({
    name: 'name',
    label: 'Name',
    value: values.name,
    errors,
    required: true,
    placeholder: NAME_PLACEHOLDERS[provider],
    hint: 'For you: shown in the lists and on the account form.',
  });
}

function secretWarning(app: AppRegistration | undefined, now: number): SafeHtml {
  const note = app ? secretExpiryNote(app, now) : null;
  if (!app || !note || note.tone === 'ok') return html``;
  const renew =
    app.credentialType === 'certificate'
      ? 'Create a new certificate, upload it to the app at the provider and paste it with its key below.'
      : 'Create a new secret at the provider and paste its value below.';
  return html`<div class="notice error">
The ${note.text}. ${renew}
</div>`;
}

function providerLine({ mode, provider, paths }: AppFormInput): SafeHtml {
  const change = mode === 'create' ? html` <a href="${paths.to(ROUTE_PATHS.appNew)}">(change)</a>` : '';
  return html`<p>Provider: <strong>${PROVIDER_LABELS[provider]}</strong>${change}</p>`;
}

/** The cloud the setup box describes: the entered one when it is known (the form may have refused it), else the default. */
function setupCloud(provider: ProviderKind, entered: string | undefined): MicrosoftCloud | null {
  if (provider !== 'microsoft') return null;
  return isMicrosoftCloud(entered) ? entered : 'global';
}

/** The credential in use and links to the others the provider offers (the form then shows their fields). */
function credentialLine({ mode, provider, credential, paths, app }: AppFormInput): SafeHtml {
  const offered = PROVIDER_CREDENTIALS[provider];
  if (offered.length < 2) return html``;
  const base = mode === 'edit' && app ? ROUTE_PATHS.app(app.id) : `${ROUTE_PATHS.appNew}`;
  const join = base.includes('?') ? '&' : '?';
  const choices = offered.map((choice) =>
    choice === credential
      ? html`<strong>${CREDENTIAL_LABELS[choice]}</strong>`
      : html`<a id="credential-${choice}" href="${paths.to(
          `${base}${join}${mode === 'create' ? `provider=${provider}&` : ''}credential=${choice}`,
        )}">${CREDENTIAL_LABELS[choice]}</a>`,
  );
  return html`<p class="choice" id="credential-choice">The app proves itself with: ${choices}</p>`;
}

function setupBox({ provider, credential, values, redirectUri, app }: AppFormInput): SafeHtml {
  const cloud = setupCloud(provider, values.cloud);
  return providerSetupBox(
    provider,
    {
      cloud,
      scopes: values.scopes ?? null,
      appTokenScope: values.appTokenScope || null,
      clientId: app?.clientId ?? values.clientId ?? null,
    },
    redirectUri,
    credential,
  );
}

function deleteAppBox(input: AppFormInput): SafeHtml {
  const { app, accountCount = 0 } = input;
  if (input.mode !== 'edit' || !app) return html``;
  const content =
    accountCount > 0
      ? html`<p>${input.accountCount} mail account(s) use it: delete or move them first.</p>`
      : postButton(input.paths.to(ROUTE_PATHS.appDelete(app.id)), 'Delete app registration', {
          csrfToken: input.csrfToken,
          kind: 'danger',
          confirm: 'Yes, delete it',
          id: 'delete-app',
        });
  return html`<details class="box danger-zone">
<summary>Delete this app registration</summary>
${content}
</details>`;
}

/**
 * The create / edit form of an app registration, after what to register at the provider (the redirect URI and the
 * permissions): the admin needs those before there is a client id to enter.
 */
export function appFormBody(input: AppFormInput): SafeHtml {
  const { paths, app } = input;
  const action = input.mode === 'edit' && app ? paths.to(ROUTE_PATHS.app(app.id)) : paths.to(ROUTE_PATHS.apps);
  const submitLabel = input.mode === 'edit' ? 'Save changes' : 'Save app registration';
  return html`${formErrorsNotice(input.errors)}
${secretWarning(app, input.now)}
${providerLine(input)}
${credentialLine(input)}
${setupBox(input)}
<form method="post" action="${action}" id="app-form" autocomplete="off">
${csrfField(input.csrfToken)}
${hiddenField('provider', input.provider)}
${hiddenField('credentialType', input.credential)}
${nameField(input)}
${providerFields(input)}
${formActions(submitLabel, paths.to(ROUTE_PATHS.accounts))}
</form>
${deleteAppBox(input)}`;
}
