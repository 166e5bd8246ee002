/**
 * The admin screen's routes: server-rendered pages and their POST actions, all `auth: 'admin'` (the host
 * checks the admin and the CSRF token; every form here carries `_csrf`). Actions answer with a redirect and a
 * notice, or re-render the page with what went wrong; a provider, token or mail-server failure never becomes a 500.
 */
import { isPluginError, PluginError, toPluginError } from '../errors';
import type { AccountService } from '../accounts/account-service';
import type { MailAccount } from '../ports/account-repository';
import type { Clock } from '../ports/clock';
import type { EventLog, PluginEvent } from '../ports/event-log';
import type { HostRequest, HostResponse, LoggerPort, RouteDefinition } from '../ports/host';
import type { AppService } from '../oauth/app-service';
import type { AccountPollResult } from '../fetch/account-poll-result';
import { AdminPaths, ROUTE_PATHS } from './admin-paths';
import { adminStyle } from './admin-style';
import {
  accountFormBody,
  accountFormValues,
  authModeOf,
  accountServiceInput,
  ACCOUNT_FIELD_ALIASES,
  ACCOUNT_FORM_FIELDS,
  submittedAccountValues,
  type AccountFormValues,
} from './account-form';
import { accountDetailBody, accountListBody } from './account-pages';
import { deviceSignInBody } from './device-sign-in-page';
import {
  appFormBody,
  appFormValues,
  APP_FORM_FIELDS,
  credentialOf,
  providerChoiceBody,
  providerOf,
  PROVIDER_LABELS,
  submittedAppValues,
  type AppFormValues,
} from './app-pages';
import type { ConnectionTester, ConnectionTestResult } from './connection-test';
import type { FolderLister, FolderListing } from './folder-list';
import { fieldErrorsOf, type FieldErrors } from './field-errors';
import { html, type SafeHtml } from '../../lib/html';
import { visibleText } from '../../lib/visible-text';
import { noticeQuery, readNotice, type Notice } from './notices';
import type { CredentialType, ProviderKind } from '../ports/app-repository';
import { withStringRequest } from '../string-request';

/** What the admin screen is built from. */
export interface AdminScreenDeps {
  readonly apps: Pick<AppService, 'create' | 'update' | 'list' | 'get' | 'remove'>;
  readonly accounts: Pick<
    AccountService,
    'create' | 'update' | 'list' | 'get' | 'remove' | 'connect' | 'connectWithCode' | 'deviceSignIn' | 'disconnect'
  >;
  readonly events: Pick<EventLog, 'list'>;
  readonly tester: Pick<ConnectionTester, 'test'>;
  /** Lists a connected account's folders for its form; without it the folder is typed only. */
  readonly folders?: Pick<FolderLister, 'list'>;
  /** Polls one account now (the fetch cycle with `accountId`). */
  readonly fetchNow: (accountId: string) => Promise<AccountPollResult>;
  /** `host.routes.publicUrl`. */
  readonly publicUrl: (path: string) => string;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/** Route ids as declared in plugin.json. */
export const ADMIN_ROUTE_IDS = {
  accounts: 'oauth2-mail.accounts',
  accountNew: 'oauth2-mail.account-new',
  accountCreate: 'oauth2-mail.account-create',
  accountShow: 'oauth2-mail.account-show',
  accountEdit: 'oauth2-mail.account-edit',
  accountUpdate: 'oauth2-mail.account-update',
  accountConnect: 'oauth2-mail.account-connect',
  accountConnectDevice: 'oauth2-mail.account-connect-device',
  accountDevice: 'oauth2-mail.account-device',
  accountTest: 'oauth2-mail.account-test',
  accountFetch: 'oauth2-mail.account-fetch',
  accountDisconnect: 'oauth2-mail.account-disconnect',
  accountDelete: 'oauth2-mail.account-delete',
  appNew: 'oauth2-mail.app-new',
  appCreate: 'oauth2-mail.app-create',
  appEdit: 'oauth2-mail.app-edit',
  appUpdate: 'oauth2-mail.app-update',
  appDelete: 'oauth2-mail.app-delete',
} as const;

/** How many events one page of an account's history lists. */
const HISTORY_PAGE = 20;

/** A `?history=` page number: 1 unless a small positive number. */
function pageNumber(value: string | undefined): number {
  return value !== undefined && /^[1-9]\d{0,5}$/.test(value) ? Number(value) : 1;
}

/** The fields each provider's app form shows (a problem with another field is shown above the form). */
const APP_FIELDS_SHOWN: Readonly<Record<ProviderKind, readonly string[]>> = {
  microsoft: APP_FORM_FIELDS.filter((f) => !['provider', 'credentialType', 'authorizePrompt'].includes(f)),
  google: APP_FORM_FIELDS.filter(
    (f) => !['provider', 'credentialType', 'cloud', 'tenant', 'servicePrincipalId', 'authorizePrompt'].includes(f),
  ),
  generic: APP_FORM_FIELDS.filter(
    (f) => !['provider', 'credentialType', 'cloud', 'tenant', 'servicePrincipalId'].includes(f),
  ),
};

/** A notice for an error thrown by an action: the table's words, the precise detail, the fix. */
function errorNotice(prefix: string, thrown: unknown): Notice {
  const error = toPluginError(thrown);
  const detail = error.code === 'ERR_INTERNAL' ? error.info.message : error.message;
  return {
    tone: 'error',
    text: visibleText(`${prefix}: ${detail}${detail === error.info.message ? '' : ` (${error.info.message})`}`),
    fix: error.info.fix,
  };
}

/**
 * A failed Connect's notice with what exactly went wrong: the query carries only the code, the account's history the
 * words (the callback recorded them, e.g. who signed in instead of the mailbox).
 */
function withConnectFailure(
  notice: Notice | null,
  query: Readonly<Record<string, string>>,
  events: readonly PluginEvent[],
): Notice | null {
  if (!notice || query.notice !== 'connect_failed') return notice;
  const failure = events.find((event) => event.type === 'auth_failed' && event.code === query.code);
  return failure ? { ...notice, text: failure.message } : notice;
}

/**
 * The admin screen's routes, in registration order (static paths before `:id` patterns).
 * @param deps - services and host helpers
 */
export function adminRoutes(deps: AdminScreenDeps): RouteDefinition[] {
  const paths = new AdminPaths(deps.publicUrl);

  const page = (title: string, body: SafeHtml, status = 200): HostResponse => ({
    kind: 'page',
    status,
    title,
    html: html`<div class="o2m">${adminStyle()}${body}</div>`.value,
  });
  const redirect = (routePath: string): HostResponse => ({ kind: 'redirect', location: routePath });
  const actorId = (request: HostRequest): string => {
    if (!request.actor) throw new PluginError('ERR_FORBIDDEN', 'Sign in as an administrator.');
    return request.actor.id;
  };

  const detailPage = async (
    request: HostRequest,
    account: MailAccount,
    extras: { notice?: Notice | null; testResult?: ConnectionTestResult; status?: number } = {},
  ): Promise<HostResponse> => {
    const historyPage = pageNumber(request.query.history);
    const [app, listed] = await Promise.all([
      deps.apps.get(account.appId).catch(() => null),
      deps.events.list({ accountId: account.id, limit: HISTORY_PAGE + 1, offset: (historyPage - 1) * HISTORY_PAGE }),
    ]);
    const events = listed.slice(0, HISTORY_PAGE);
    const body = accountDetailBody({
      account,
      app,
      events,
      paths,
      csrfToken: request.csrfToken,
      now: deps.clock.now(),
      notice: extras.notice ?? withConnectFailure(readNotice(request.query), request.query, events),
      testResult: extras.testResult,
      history: { page: historyPage, hasOlder: listed.length > HISTORY_PAGE },
    });
    return page(`Mail account ${account.mailbox}`, body, extras.status);
  };

  /** The account page again, saying why an action failed; re-read, as the failed action may have changed the status. */
  const actionFailedPage = async (
    request: HostRequest,
    accountId: string,
    what: string,
    thrown: unknown,
  ): Promise<HostResponse> => {
    const error = toPluginError(thrown);
    return detailPage(request, await deps.accounts.get(accountId), {
      notice: errorNotice(what, error),
      status: error.info.httpStatus,
    });
  };

  const appForm = async (
    request: HostRequest,
    options: {
      mode: 'create' | 'edit';
      provider: ProviderKind;
      credential: CredentialType;
      values: AppFormValues;
      errors: FieldErrors | null;
      appId?: string;
      status?: number;
    },
  ): Promise<HostResponse> => {
    const app = options.appId ? await deps.apps.get(options.appId) : undefined;
    const accountCount = app ? (await deps.accounts.list({ appId: app.id })).length : 0;
    const body = appFormBody({
      mode: options.mode,
      provider: options.provider,
      credential: options.credential,
      values: options.values,
      errors: options.errors,
      csrfToken: request.csrfToken,
      paths,
      redirectUri: paths.redirectUri(),
      app,
      accountCount,
      now: deps.clock.now(),
    });
    const title =
      options.mode === 'edit' && app
        ? `App registration ${app.name}`
        : `New app registration: ${PROVIDER_LABELS[options.provider]}`;
    return page(title, body, options.status);
  };

  const accountForm = async (
    request: HostRequest,
    options: {
      mode: 'create' | 'edit';
      values: AccountFormValues;
      errors: FieldErrors | null;
      account?: MailAccount;
      status?: number;
    },
  ): Promise<HostResponse> => {
    const connected = options.account && options.account.status !== 'not_connected';
    const [apps, folderListing] = await Promise.all([
      deps.apps.list(),
      connected && deps.folders ? deps.folders.list(options.account!) : Promise.resolve(undefined),
    ]);
    const body = accountFormBody({
      mode: options.mode,
      values: options.values,
      errors: options.errors,
      apps,
      csrfToken: request.csrfToken,
      paths,
      account: options.account,
      folderListing: folderListing as FolderListing | undefined,
    });
    return page(
      options.mode === 'edit' && options.account ? `Edit mail account ${options.account.mailbox}` : 'New mail account',
      body,
      options.status,
    );
  };

  /** Validation errors per field; any other error as a form-level message. */
  const formErrors = (
    thrown: unknown,
    fields: readonly string[],
    aliases: Readonly<Record<string, string>> = {},
  ): { errors: FieldErrors; status: number } => {
    const byField = fieldErrorsOf(thrown, fields, aliases);
    if (byField) return { errors: byField, status: 400 };
    const error = toPluginError(thrown);
    if (error.code === 'ERR_INTERNAL')
      deps.logger.error('oauth2-mail admin: saving failed', {
        code: error.code,
        error: error.cause instanceof Error ? error.cause.message : undefined,
      });
    return {
      errors: { _form: [error.code === 'ERR_INTERNAL' ? error.info.message : error.message] },
      status: error.info.httpStatus,
    };
  };

  const moveWithoutFolder = (values: AccountFormValues): boolean =>
    values.postFetchAction === 'move' && (values.postFetchFolder ?? '').trim().length === 0;
  const accountAliases = (values: AccountFormValues): Readonly<Record<string, string>> =>
    moveWithoutFolder(values) ? { postFetch: 'postFetchFolder' } : ACCOUNT_FIELD_ALIASES;

  /** The account form's errors in the screen's words (the service speaks the console's `move:FOLDER`). */
  const accountFormErrors = (thrown: unknown, values: AccountFormValues): { errors: FieldErrors; status: number } => {
    const result = formErrors(thrown, ACCOUNT_FORM_FIELDS, accountAliases(values));
    if (!moveWithoutFolder(values) || !result.errors.postFetchFolder) return result;
    const words = 'Move to folder is required when messages are moved: name the folder they go to';
    return { ...result, errors: { ...result.errors, postFetchFolder: [words] } };
  };

  const routes: RouteDefinition[] = [
    {
      id: ADMIN_ROUTE_IDS.accounts,
      method: 'GET',
      path: ROUTE_PATHS.accounts,
      auth: 'admin',
      async handle(request) {
        const [accounts, apps] = await Promise.all([deps.accounts.list(), deps.apps.list()]);
        return page(
          'Mail accounts (OAuth2)',
          accountListBody({
            accounts,
            apps,
            paths,
            csrfToken: request.csrfToken,
            now: deps.clock.now(),
            notice: readNotice(request.query),
          }),
        );
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountNew,
      method: 'GET',
      path: ROUTE_PATHS.accountNew,
      auth: 'admin',
      async handle(request) {
        const { appId, authMode } = request.query;
        const values = { ...(appId ? { appId } : {}), authMode: authModeOf(authMode) };
        return accountForm(request, { mode: 'create', values, errors: null });
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountCreate,
      method: 'POST',
      path: ROUTE_PATHS.accounts,
      auth: 'admin',
      async handle(request) {
        const values = submittedAccountValues(request.form);
        try {
          const account = await deps.accounts.create(accountServiceInput(values), actorId(request));
          return redirect(`${ROUTE_PATHS.account(account.id)}${noticeQuery('account_created')}`);
        } catch (thrown) {
          const { errors, status } = accountFormErrors(thrown, values);
          return accountForm(request, { mode: 'create', values, errors, status });
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.appNew,
      method: 'GET',
      path: ROUTE_PATHS.appNew,
      auth: 'admin',
      async handle(request) {
        const provider = providerOf(request.query.provider);
        if (!provider) return page('New app registration', providerChoiceBody(paths));
        const credential = credentialOf(provider, request.query.credential);
        return appForm(request, { mode: 'create', provider, credential, values: { provider }, errors: null });
      },
    },
    {
      id: ADMIN_ROUTE_IDS.appCreate,
      method: 'POST',
      path: ROUTE_PATHS.apps,
      auth: 'admin',
      async handle(request) {
        const provider = providerOf(request.form.provider);
        if (!provider)
          return page(
            'New app registration',
            html`<div class="notice error" role="alert">Choose a provider first.</div>${providerChoiceBody(paths)}`,
            400,
          );
        try {
          await deps.apps.create(appInput(request.form), actorId(request));
          return redirect(`${ROUTE_PATHS.accounts}${noticeQuery('app_created')}`);
        } catch (thrown) {
          const { errors, status } = formErrors(thrown, APP_FIELDS_SHOWN[provider]);
          return appForm(request, {
            mode: 'create',
            provider,
            credential: credentialOf(provider, request.form.credentialType),
            values: submittedAppValues(request.form),
            errors,
            status,
          });
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.appEdit,
      method: 'GET',
      path: '/apps/:id',
      auth: 'admin',
      async handle(request) {
        const app = await deps.apps.get(request.params.id ?? '');
        // ?credential= switches the form to another kind of credential (its material must then be entered).
        const credential = request.query.credential
          ? credentialOf(app.provider, request.query.credential)
          : app.credentialType;
        return appForm(request, {
          mode: 'edit',
          provider: app.provider,
          credential,
          values: appFormValues(app),
          errors: null,
          appId: app.id,
        });
      },
    },
    {
      id: ADMIN_ROUTE_IDS.appUpdate,
      method: 'POST',
      path: '/apps/:id',
      auth: 'admin',
      async handle(request) {
        const app = await deps.apps.get(request.params.id ?? '');
        // The provider of a registration is fixed: another provider is another app registration.
        const form = { ...request.form, provider: app.provider };
        try {
          await deps.apps.update(app.id, appInput(form), actorId(request));
          return redirect(`${ROUTE_PATHS.accounts}${noticeQuery('app_updated')}`);
        } catch (thrown) {
          const { errors, status } = formErrors(thrown, APP_FIELDS_SHOWN[app.provider]);
          return appForm(request, {
            mode: 'edit',
            provider: app.provider,
            credential: credentialOf(app.provider, request.form.credentialType),
            values: submittedAppValues(form),
            errors,
            appId: app.id,
            status,
          });
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.appDelete,
      method: 'POST',
      path: '/apps/:id/delete',
      auth: 'admin',
      async handle(request) {
        const app = await deps.apps.get(request.params.id ?? '');
        if (request.form.confirm !== 'yes') {
          return appForm(request, {
            mode: 'edit',
            provider: app.provider,
            credential: app.credentialType,
            values: appFormValues(app),
            errors: { _form: ['Tick "Yes, delete it" to delete the app registration.'] },
            appId: app.id,
            status: 400,
          });
        }
        try {
          await deps.apps.remove(app.id, actorId(request));
          return redirect(`${ROUTE_PATHS.accounts}${noticeQuery('app_deleted')}`);
        } catch (thrown) {
          const { errors, status } = formErrors(thrown, []);
          return appForm(request, {
            mode: 'edit',
            provider: app.provider,
            credential: app.credentialType,
            values: appFormValues(app),
            errors,
            appId: app.id,
            status,
          });
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountShow,
      method: 'GET',
      path: '/accounts/:id',
      auth: 'admin',
      async handle(request) {
        return detailPage(request, await deps.accounts.get(request.params.id ?? ''));
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountEdit,
      method: 'GET',
      path: '/accounts/:id/edit',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        const switched = request.query.authMode ? { authMode: authModeOf(request.query.authMode) } : {};
        const values = { ...accountFormValues(account), ...switched };
        return accountForm(request, { mode: 'edit', values, errors: null, account });
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountUpdate,
      method: 'POST',
      path: '/accounts/:id',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        const values = submittedAccountValues(request.form);
        try {
          await deps.accounts.update(account.id, accountServiceInput(values), actorId(request));
          return redirect(`${ROUTE_PATHS.account(account.id)}${noticeQuery('account_updated')}`);
        } catch (thrown) {
          const { errors, status } = accountFormErrors(thrown, values);
          return accountForm(request, { mode: 'edit', values, errors, account, status });
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountConnect,
      method: 'POST',
      path: '/accounts/:id/connect',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        try {
          const started = await deps.accounts.connect(account.id, actorId(request));
          if (started.kind === 'connected')
            return redirect(`${ROUTE_PATHS.account(account.id)}${noticeQuery('connected')}`);
          return { kind: 'redirect', location: started.authorizationUrl };
        } catch (thrown) {
          const error = toPluginError(thrown);
          deps.logger.warn('oauth2-mail admin: Connect could not start', { accountId: account.id, code: error.code });
          // The page keeps the Connect button: the admin fixes the app registration and tries again.
          return actionFailedPage(request, account.id, 'Connect could not start', error);
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountConnectDevice,
      method: 'POST',
      path: '/accounts/:id/connect-device',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        try {
          await deps.accounts.connectWithCode(account.id, actorId(request));
          return redirect(ROUTE_PATHS.accountDevice(account.id));
        } catch (thrown) {
          return actionFailedPage(request, account.id, 'Connect with a code could not start', thrown);
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountDevice,
      method: 'GET',
      path: '/accounts/:id/device',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        const signIn = deps.accounts.deviceSignIn(account.id);
        if (!signIn) return redirect(ROUTE_PATHS.account(account.id));
        if (signIn.state === 'connected')
          return redirect(`${ROUTE_PATHS.account(account.id)}${noticeQuery('connected')}`);
        const body = deviceSignInBody({ account, signIn, paths, csrfToken: request.csrfToken, now: deps.clock.now() });
        return page(`Connect ${account.mailbox} with a code`, body);
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountTest,
      method: 'POST',
      path: '/accounts/:id/test',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        const testResult = await deps.tester.test(account);
        // Re-read: a dead grant found by the test changed the status.
        return detailPage(request, await deps.accounts.get(account.id), { testResult, notice: null });
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountFetch,
      method: 'POST',
      path: '/accounts/:id/fetch',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        const accountPath = ROUTE_PATHS.account(account.id);
        try {
          const result = await deps.fetchNow(account.id);
          if (result.outcome === 'polled') {
            const { fetched, duplicates, skipped, failed } = result;
            return redirect(`${accountPath}${noticeQuery('fetched', { fetched, duplicates, skipped, failed })}`);
          }
          if (result.outcome === 'failed')
            return redirect(
              `${accountPath}${noticeQuery('fetch_failed', { code: result.error?.code ?? 'ERR_INTERNAL' })}`,
            );
          return redirect(`${accountPath}${noticeQuery('fetch_busy')}`);
        } catch (thrown) {
          return actionFailedPage(request, account.id, 'Fetch now failed', thrown);
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountDisconnect,
      method: 'POST',
      path: '/accounts/:id/disconnect',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        if (request.form.confirm !== 'yes')
          return detailPage(request, account, {
            notice: { tone: 'error', text: 'Tick "Yes, disconnect" to disconnect the mail account.' },
            status: 400,
          });
        try {
          const result = await deps.accounts.disconnect(account.id, actorId(request), request.actor?.name ?? null);
          const notice = result.warning ? 'disconnected_unrevoked' : 'disconnected';
          return redirect(`${ROUTE_PATHS.account(account.id)}${noticeQuery(notice)}`);
        } catch (thrown) {
          return actionFailedPage(request, account.id, 'Disconnect failed', thrown);
        }
      },
    },
    {
      id: ADMIN_ROUTE_IDS.accountDelete,
      method: 'POST',
      path: '/accounts/:id/delete',
      auth: 'admin',
      async handle(request) {
        const account = await deps.accounts.get(request.params.id ?? '');
        if (request.form.confirm !== 'yes')
          return detailPage(request, account, {
            notice: { tone: 'error', text: 'Tick "Yes, delete it" to delete the mail account.' },
            status: 400,
          });
        try {
          await deps.accounts.remove(account.id, actorId(request));
          return redirect(`${ROUTE_PATHS.accounts}${noticeQuery('account_deleted')}`);
        } catch (thrown) {
          if (isPluginError(thrown) && thrown.code === 'ERR_NOT_FOUND')
            return redirect(`${ROUTE_PATHS.accounts}${noticeQuery('account_deleted')}`);
          return detailPage(request, account, {
            notice: errorNotice('Deleting failed', thrown),
            status: toPluginError(thrown).info.httpStatus,
          });
        }
      },
    },
  ];
  return routes.map(withStringRequest);
}

/** The app service's raw input from a form: the known fields only (the secret included, it is write-only). */
function appInput(form: Readonly<Record<string, string>>): Record<string, string> {
  const input: Record<string, string> = {};
  for (const field of APP_FORM_FIELDS) if (typeof form[field] === 'string') input[field] = form[field];
  return input;
}
