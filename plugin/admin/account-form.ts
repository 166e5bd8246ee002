/**
 * The create / edit form of a mail account (how it gets its tokens, mailbox, app, protocol, server, TLS, folder,
 * initial sync, post-fetch action, interval, shared mailbox via a delegate, enabled, sending replies over SMTP) and
 * the translation between form fields and the account service's fields. The form shows only what the chosen auth
 * mode needs: the app registrations that can serve it, and the delegate setting only for a person's sign-in.
 */
import { storedAccountFields } from '../accounts/account-input';
import { AUTH_MODES, type AuthMode, type MailAccount } from '../ports/account-repository';
import type { AppRegistration } from '../ports/app-repository';
import { AUTH_MODE_LABELS, authModeProblem } from '../oauth/auth-modes';
import { providerFor } from '../oauth/providers';
import { ROUTE_PATHS, type AdminPaths } from './admin-paths';
import { PROVIDER_LABELS } from './app-pages';
import type { FieldErrors } from './field-errors';
import type { FolderListing } from './folder-list';
import {
  checkboxField,
  csrfField,
  datalist,
  fieldset,
  formActions,
  formErrorsNotice,
  hiddenField,
  inputField,
  selectField,
  type SelectOption,
} from './form-widgets';
import { html, type SafeHtml } from '../../lib/html';

/** The form's field names. */
export const ACCOUNT_FORM_FIELDS = [
  'authMode',
  'appId',
  'mailbox',
  'protocol',
  'host',
  'port',
  'tls',
  'folder',
  'initialSync',
  'postFetchAction',
  'postFetchFolder',
  'pollIntervalSeconds',
  'sharedViaDelegate',
  'enabled',
  'smtpEnabled',
  'smtpHost',
  'smtpPort',
  'smtpTls',
  'smtpFrom',
] as const;

/** Service fields entered under another form field name. */
export const ACCOUNT_FIELD_ALIASES: Readonly<Record<string, string>> = { postFetch: 'postFetchAction' };

/** Entered or stored values of the account form, as strings. */
export type AccountFormValues = Partial<Record<(typeof ACCOUNT_FORM_FIELDS)[number], string>>;

/** The default poll interval offered on a new account (seconds). */
export const DEFAULT_FORM_INTERVAL = '60';

/**
 * A stored account as form values: the service's stored fields, with the post-fetch action split into the
 * form's action and folder and the checkboxes as `on`.
 */
export function accountFormValues(account: MailAccount): AccountFormValues {
  const { postFetch, sharedViaDelegate, smtpEnabled, ...fields } = storedAccountFields(account);
  const move = postFetch.startsWith('move:');
  return {
    ...fields,
    postFetchAction: move ? 'move' : postFetch,
    postFetchFolder: move ? postFetch.slice('move:'.length) : '',
    sharedViaDelegate: sharedViaDelegate === 'true' ? 'on' : '',
    smtpEnabled: smtpEnabled === 'true' ? 'on' : '',
  };
}

/** Submitted values: only the known fields, as strings. */
export function submittedAccountValues(form: Readonly<Record<string, string>>): AccountFormValues {
  const values: AccountFormValues = {};
  for (const field of ACCOUNT_FORM_FIELDS) if (typeof form[field] === 'string') values[field] = form[field];
  return values;
}

/**
 * The account service's raw input from the form: `postFetchAction` + `postFetchFolder` become `postFetch`
 * (`move:<folder>`); a move without a folder stays `move:` so the service names the field.
 */
export function accountServiceInput(values: AccountFormValues): Record<string, string> {
  const action = values.postFetchAction ?? '';
  const postFetch = action === 'move' ? `move:${(values.postFetchFolder ?? '').trim()}` : action;
  return {
    authMode: authModeOf(values.authMode),
    appId: values.appId ?? '',
    mailbox: values.mailbox ?? '',
    protocol: values.protocol ?? '',
    host: values.host ?? '',
    port: values.port ?? '',
    tls: values.tls ?? '',
    folder: values.folder ?? '',
    initialSync: values.initialSync ?? '',
    postFetch,
    pollIntervalSeconds: values.pollIntervalSeconds ?? '',
    sharedViaDelegate: values.sharedViaDelegate === 'on' ? 'true' : 'false',
    enabled: values.enabled === 'false' ? 'false' : 'true',
    smtpEnabled: values.smtpEnabled === 'on' ? 'true' : 'false',
    smtpHost: values.smtpHost ?? '',
    smtpPort: values.smtpPort ?? '',
    smtpTls: values.smtpTls ?? '',
    smtpFrom: values.smtpFrom ?? '',
  };
}

/** The auth mode a form or query names, `delegated` when it names none (or an unknown one). */
export function authModeOf(value: string | undefined): AuthMode {
  const normalized = (value ?? '').replace(/-/g, '_');
  return AUTH_MODES.find((mode) => mode === normalized) ?? 'delegated';
}

/** Everything the account form needs. */
export interface AccountFormInput {
  readonly mode: 'create' | 'edit';
  readonly values: AccountFormValues;
  readonly errors: FieldErrors | null;
  readonly apps: readonly AppRegistration[];
  readonly csrfToken: string | undefined;
  readonly paths: AdminPaths;
  /** The stored account (edit). */
  readonly account?: MailAccount;
  /** The server's folders (edit of a connected account), or why they could not be listed. */
  readonly folderListing?: FolderListing;
}

/** The `<datalist>` of the server's folders. */
const FOLDER_LIST_ID = 'server-folders';

function folderHint(listing: FolderListing | undefined): string {
  if (!listing) return "Empty = INBOX. Once the account is connected, this field offers the server's folders.";
  if (!listing.folders)
    return `Empty = INBOX. The server's folders could not be listed (${listing.reason}): type the name.`;
  const count = listing.folders.length;
  const folders = `${count} ${count === 1 ? 'folder' : 'folders'}`;
  return `Empty = INBOX. The server has ${folders}: pick one from the list or type a name.`;
}

function serverHint(apps: readonly AppRegistration[]): string {
  const defaults = apps
    .map((app) => ({ app, server: providerFor(app.provider).defaultServer(app, 'imap') }))
    .filter((entry) => entry.server !== null)
    .map(({ app, server }) => `${app.name}: ${server!.host}:${server!.port}`);
  const unique = [...new Set(defaults)].slice(0, 3);
  const examples = unique.length > 0 ? ` (${unique.join('; ')})` : '';
  return `Empty = the provider's server${examples}. Required for other providers.`;
}

const TLS_OPTIONS: readonly SelectOption[] = [
  { value: '', label: 'Provider default (TLS)' },
  { value: 'implicit', label: 'TLS (port 993)' },
  { value: 'starttls', label: 'STARTTLS (port 143)' },
  { value: 'none', label: 'None: only 127.0.0.1 in a test or demo set-up' },
];

const SMTP_TLS_OPTIONS: readonly SelectOption[] = [
  { value: '', label: 'Provider default (Microsoft: STARTTLS 587, Google: TLS 465)' },
  { value: 'starttls', label: 'STARTTLS (port 587)' },
  { value: 'implicit', label: 'TLS (port 465)' },
  { value: 'none', label: 'None: only 127.0.0.1 in a test or demo set-up' },
];

const INITIAL_SYNC_OPTIONS: readonly SelectOption[] = [
  { value: 'unseen', label: 'Unread messages already in the folder, then new ones' },
  { value: 'all', label: 'All messages already in the folder, then new ones' },
  { value: 'new_only', label: 'Only messages arriving from now on' },
];

const POST_FETCH_OPTIONS: readonly SelectOption[] = [
  { value: 'mark_seen', label: 'Mark it as read' },
  { value: 'keep', label: 'Leave it as it is' },
  { value: 'move', label: 'Move it to the folder below' },
  { value: 'delete', label: 'Delete it' },
];

const ENABLED_OPTIONS: readonly SelectOption[] = [
  { value: 'true', label: 'Enabled' },
  { value: 'false', label: 'Disabled (kept, not fetched)' },
];

/** How the mailbox gets its tokens, with links to the other modes (the form then shows their fields). */
function authModeChoice({ values, paths, account, mode }: AccountFormInput): SafeHtml {
  const current = authModeOf(values.authMode);
  const base = mode === 'edit' && account ? ROUTE_PATHS.accountEdit(account.id) : ROUTE_PATHS.accountNew;
  const choices = AUTH_MODES.map((choice) =>
    choice === current
      ? html`<strong>${AUTH_MODE_LABELS[choice]}</strong>`
      : html`<a id="auth-mode-${choice}" href="${paths.to(`${base}?${modeQuery(choice, mode === 'create' ? values.appId : undefined)}`)}">${AUTH_MODE_LABELS[choice]}</a>`,
  );
  return html`<p class="choice" id="auth-mode-choice">Tokens come from: ${choices}</p>`;
}

// URLSearchParams, unlike encodeURIComponent, does not throw on a lone surrogate in a typed-in value.
function modeQuery(authMode: AuthMode, appId: string | undefined): string {
  const query = new URLSearchParams({ authMode });
  if (appId) query.set('appId', appId);
  return query.toString();
}

function appOptions(apps: readonly AppRegistration[], mode: AuthMode): SelectOption[] {
  return apps
    .filter((app) => authModeProblem(app, mode) === null)
    .map((app) => ({ value: app.id, label: `${app.name} (${PROVIDER_LABELS[app.provider]})` }));
}

function delegateField({ values, errors }: AccountFormInput): SafeHtml {
  if (authModeOf(values.authMode) !== 'delegated') return html``;
  return checkboxField({
    name: 'sharedViaDelegate',
    label: 'Shared mailbox via a delegate',
    checked: values.sharedViaDelegate === 'on',
    errors,
    hint:
      'Tick when someone else signs in (a user with FullAccess on this mailbox) instead of the mailbox itself. ' +
      'The screen then shows "signed in as X for mailbox Y".',
  });
}

function mailboxFieldset(input: AccountFormInput): SafeHtml {
  const { values, errors, apps } = input;
  const options = appOptions(apps, authModeOf(values.authMode));
  return fieldset('Mailbox', [
    inputField({
      name: 'mailbox',
      label: 'Mailbox address',
      type: 'email',
      value: values.mailbox,
      errors,
      required: true,
      placeholder: 'support@example.com',
      hint: 'The address mail is fetched from; the login name on the mail server.',
    }),
    selectField({
      name: 'appId',
      label: 'App registration',
      value: values.appId ?? options[0]?.value,
      errors,
      options,
      hint:
        options.length === 0
          ? 'No app registration can serve this: app-only needs a Microsoft or generic app (secret or ' +
            'certificate), a service account needs an app holding its key file.'
          : undefined,
    }),
    delegateField(input),
  ]);
}

function serverFieldset({ values, errors, apps }: AccountFormInput): SafeHtml {
  return fieldset('Mail server', [
    selectField({
      name: 'protocol',
      label: 'Protocol',
      value: values.protocol || 'imap',
      errors,
      options: [
        { value: 'imap', label: 'IMAP' },
        { value: 'pop3', label: 'POP3 (inbox only; after the ticket: keep or delete)' },
      ],
    }),
    inputField({
      name: 'host',
      label: 'Server',
      value: values.host,
      errors,
      placeholder: 'outlook.office365.com',
      hint: serverHint(apps),
    }),
    inputField({
      name: 'port',
      label: 'Port',
      type: 'number',
      value: values.port,
      errors,
      min: 1,
      max: 65535,
      placeholder: '993',
      hint: 'Empty = 993 with TLS, 143 with STARTTLS (POP3: 995, 110).',
    }),
    selectField({
      name: 'tls',
      label: 'Encryption',
      value: values.tls,
      errors,
      options: TLS_OPTIONS,
      hint: 'Certificates are always verified.',
    }),
  ]);
}

function fetchingFieldset({ mode, values, errors, folderListing }: AccountFormInput): SafeHtml {
  const folders = folderListing?.folders ?? null;
  const list = folders ? FOLDER_LIST_ID : undefined;
  return fieldset('Fetching', [
    folders ? datalist(FOLDER_LIST_ID, folders) : html``,
    inputField({
      name: 'folder',
      label: 'Folder',
      value: values.folder,
      errors,
      placeholder: 'INBOX',
      list,
      hint: folderHint(folderListing),
    }),
    selectField({
      name: 'initialSync',
      label: 'First fetch',
      value: values.initialSync || 'unseen',
      errors,
      options: INITIAL_SYNC_OPTIONS,
    }),
    selectField({
      name: 'postFetchAction',
      label: 'After a message became a ticket',
      value: values.postFetchAction || 'mark_seen',
      errors,
      options: POST_FETCH_OPTIONS,
    }),
    inputField({
      name: 'postFetchFolder',
      label: 'Move to folder',
      value: values.postFetchFolder,
      errors,
      placeholder: 'Archive',
      list,
      hint: 'Only for "Move it".',
    }),
    inputField({
      name: 'pollIntervalSeconds',
      label: 'Check every (seconds)',
      type: 'number',
      value: values.pollIntervalSeconds ?? (mode === 'create' ? DEFAULT_FORM_INTERVAL : ''),
      errors,
      min: 10,
      max: 86400,
    }),
    selectField({
      name: 'enabled',
      label: 'Fetching',
      value: values.enabled || 'true',
      errors,
      options: ENABLED_OPTIONS,
    }),
  ]);
}

function sendingFieldset({ values, errors }: AccountFormInput): SafeHtml {
  return fieldset('Sending replies', [
    checkboxField({
      name: 'smtpEnabled',
      label: "Send the helpdesk's replies through this account (SMTP with the same sign-in)",
      checked: values.smtpEnabled === 'on',
      errors,
      hint: 'Microsoft asks for the SMTP.Send permission at Connect: Re-authorize after switching this on.',
    }),
    inputField({
      name: 'smtpHost',
      label: 'SMTP server',
      value: values.smtpHost,
      errors,
      placeholder: 'smtp.office365.com',
      hint: "Empty = the provider's (Microsoft smtp.office365.com, Google smtp.gmail.com); required otherwise.",
    }),
    inputField({
      name: 'smtpPort',
      label: 'SMTP port',
      type: 'number',
      value: values.smtpPort,
      errors,
      min: 1,
      max: 65535,
      placeholder: '587',
      hint: 'Empty = 587 with STARTTLS, 465 with TLS.',
    }),
    selectField({
      name: 'smtpTls',
      label: 'SMTP encryption',
      value: values.smtpTls,
      errors,
      options: SMTP_TLS_OPTIONS,
      hint: 'Certificates are always verified.',
    }),
    inputField({
      name: 'smtpFrom',
      label: 'From address',
      value: values.smtpFrom,
      errors,
      placeholder: 'support@contoso.com',
      hint: 'Empty = the mailbox. Sending as a shared mailbox needs Send As for the user who signs in.',
    }),
  ]);
}

function noAppsBody(paths: AdminPaths): SafeHtml {
  return html`<p id="no-apps">A mail account signs in through an app registration, and there is none yet.</p>
<p><a class="button primary" href="${paths.to(ROUTE_PATHS.appNew)}">Add an app registration first</a></p>`;
}

function editWarning(mode: AccountFormInput['mode']): SafeHtml {
  if (mode !== 'edit') return html``;
  return html`<p class="notice">
Changing the mailbox, the app registration or how tokens come disconnects the account: connect it again afterwards.
</p>`;
}

/** The form page body. */
export function accountFormBody(input: AccountFormInput): SafeHtml {
  const { paths, account } = input;
  if (input.apps.length === 0) return noAppsBody(paths);
  const accountPath = account ? paths.to(ROUTE_PATHS.account(account.id)) : paths.to(ROUTE_PATHS.accounts);
  const action = input.mode === 'edit' ? accountPath : paths.to(ROUTE_PATHS.accounts);
  const submitLabel = input.mode === 'edit' ? 'Save changes' : 'Save mail account';
  return html`${formErrorsNotice(input.errors)}
${editWarning(input.mode)}
${authModeChoice(input)}
<form method="post" action="${action}" id="account-form" autocomplete="off">
${csrfField(input.csrfToken)}
${hiddenField('authMode', authModeOf(input.values.authMode))}
${mailboxFieldset(input)}
${serverFieldset(input)}
${fetchingFieldset(input)}
${sendingFieldset(input)}
${formActions(submitLabel, accountPath)}
</form>`;
}
