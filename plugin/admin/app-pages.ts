/**
 * App registration pages: the list (on the main screen), the provider choice, and the create / edit form that shows
 * only the fields the chosen provider needs. The client secret is write-only: never rendered back, empty on edit
 * keeps the stored one.
 */
import type { AppRegistration, MicrosoftCloud, ProviderKind } from '../ports/app-repository';
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
  'clientId',
  'clientSecret',
  'secretExpiresAt',
  'scopes',
] as const;

/** Entered or stored values of an app form, as strings. The secret is never among them. */
export type AppFormValues = Partial<Record<(typeof APP_FORM_FIELDS)[number], string>>;

/** Warn about a client secret expiring within this many days. */
export const SECRET_WARNING_DAYS = 30;

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
    clientId: app.clientId,
    secretExpiresAt: formatDate(app.secretExpiresAt),
    scopes: app.scopes ?? '',
  };
}

/** Submitted form values: only the known fields, as strings, and never the secret. */
export function submittedAppValues(form: Readonly<Record<string, string>>): AppFormValues {
  const values: AppFormValues = {};
  for (const field of APP_FORM_FIELDS)
    if (field !== 'clientSecret' && typeof form[field] === 'string') values[field] = form[field];
  return values;
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

/** The secret-expiry words for an app: null when nothing to say. */
export function secretExpiryNote(app: Pick<AppRegistration, 'secretExpiresAt'>, now: number): SecretExpiryNote | null {
  if (app.secretExpiresAt === null) return null;
  const days = daysUntil(app.secretExpiresAt, now);
  if (days < 0) return { tone: 'error', text: `client secret expired on ${formatDate(app.secretExpiresAt)}` };
  if (days <= SECRET_WARNING_DAYS)
    return {
      tone: 'warn',
      text: `client secret expires in ${days} day${days === 1 ? '' : 's'} (${formatDate(app.secretExpiresAt)})`,
    };
  return { tone: 'ok', text: `secret valid until ${formatDate(app.secretExpiresAt)}` };
}

function tenantLine(app: AppRegistration): SafeHtml {
  if (app.provider !== 'microsoft') return html``;
  const cloud = app.cloud && app.cloud !== 'global' ? html`, cloud ${app.cloud}` : '';
  return html`<br><small class="muted">tenant ${app.tenant ?? 'organizations'}${cloud}</small>`;
}

function secretCell(note: SecretExpiryNote | null): SafeHtml {
  if (!note) return html`<span class="muted">stored (no expiry date entered)</span>`;
  return html`<span class="badge ${note.tone}">${note.text}</span>`;
}

function appRow(app: AppRegistration, accountCount: number, paths: AdminPaths, now: number): SafeHtml {
  return html`<tr data-app-id="${app.id}">
<td><a href="${paths.to(ROUTE_PATHS.app(app.id))}">${app.name}</a></td>
<td>${PROVIDER_LABELS[app.provider]}${tenantLine(app)}</td>
<td><code>${app.clientId}</code></td>
<td>${secretCell(secretExpiryNote(app, now))}</td>
<td>${accountCount}</td>
</tr>`;
}

const APP_COLUMNS = ['Name', 'Provider', 'Client id', 'Client secret', 'Accounts'];

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
  'An app registration holds the OAuth2 client (id and secret) that mail accounts sign in through; ' +
  'many accounts can share one.';

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
  microsoft: 'Entra ID app registration; delegated IMAP access; shared mailboxes through a delegate.',
  google: 'Google Cloud OAuth client (Web application); scope https://mail.google.com/.',
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
  const names = ['issuerUrl', 'authorizeUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl', 'scopes'] as const;
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
    secretField(input),
    inputField({
      name: 'secretExpiresAt',
      label: 'Client secret expires on',
      type: 'date',
      value: values.secretExpiresAt,
      errors,
      hint: 'From "Certificates & secrets": you are warned 30 days before mail would stop.',
    }),
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
      label: 'Client ID',
      value: values.clientId,
      errors,
      required: true,
      placeholder: '1234567890-abc.apps.googleusercontent.com',
    }),
    secretField(input),
    optionalSecretExpiry(input),
    advancedEndpoints(input, "Only for test set-ups: an issuer URL here replaces Google's endpoints."),
  ];
}

function genericFields(input: AppFormInput): SafeHtml[] {
  const { values, errors } = input;
  return [
    ...urlFields(input),
    inputField({ name: 'clientId', label: 'Client ID', value: values.clientId, errors, required: true }),
    secretField(input),
    optionalSecretExpiry(input),
    inputField({
      name: 'scopes',
      label: 'Scopes (space-separated)',
      value: values.scopes,
      errors,
      placeholder: 'openid email offline_access mail',
      hint: 'Empty = openid email offline_access; add the scope your server needs for mail access.',
    }),
  ];
}

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
  if (!note || note.tone === 'ok') return html``;
  return html`<div class="notice error">
The ${note.text}. Create a new secret at the provider and paste its value below.
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

function setupBox({ provider, values, redirectUri }: AppFormInput): SafeHtml {
  const cloud = setupCloud(provider, values.cloud);
  return providerSetupBox(provider, { cloud, scopes: values.scopes ?? null }, redirectUri);
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

/** The create / edit form of an app registration, with the redirect URI and the permissions to register. */
export function appFormBody(input: AppFormInput): SafeHtml {
  const { paths, app } = input;
  const action = input.mode === 'edit' && app ? paths.to(ROUTE_PATHS.app(app.id)) : paths.to(ROUTE_PATHS.apps);
  const submitLabel = input.mode === 'edit' ? 'Save changes' : 'Save app registration';
  return html`${formErrorsNotice(input.errors)}
${secretWarning(app, input.now)}
${providerLine(input)}
<form method="post" action="${action}" id="app-form" autocomplete="off">
${csrfField(input.csrfToken)}
${hiddenField('provider', input.provider)}
${nameField(input)}
${providerFields(input)}
${formActions(submitLabel, paths.to(ROUTE_PATHS.accounts))}
</form>
${setupBox(input)}
${deleteAppBox(input)}`;
}
