/**
 * `oauth2-mail app add|update|list|show|remove`: OAuth2 app registrations. The console is a client of the plugin's own
 * JSON API (its `/api/*` routes, driven in process), so validation is exactly the admin screen's. The credential
 * is read from files, never from argv: a client secret (`--client-secret-file`, `-` for stdin), a certificate and
 * its private key (`--client-certificate-file`, `--client-key-file`), or a service account's JSON key file
 * (`--service-account-key-file`).
 */
import { Option, type Command } from 'commander';
import { PluginError, type ErrorDetails, type PluginErrorCode } from '../../../plugin/index';
import type { Actor, HostRequest, HostResponse } from '../../../plugin/index';
import type { HostApp } from '../../host-app';
import type { CliContext } from '../context';

/** The plugin whose API the console drives. */
const PLUGIN_ID = 'oauth2-mail';

/** Who the console acts as when the host has no admin user yet (recorded in the plugin's events). */
export const CONSOLE_ACTOR: Actor = { id: 'console', name: 'console', isAdmin: true };

/**
 * The console acts as the first admin user, so a Connect started here can be finished in a browser signed in as
 * that admin (the callback refuses one signed in as another admin) or in a browser not signed in at all.
 */
async function consoleActor(host: HostApp): Promise<Actor> {
  const admin = (await host.users.list()).find((user) => user.role === 'admin');
  return admin ? { id: admin.id, name: admin.email, isAdmin: true } : CONSOLE_ACTOR;
}

/**
 * Calls one route of the plugin's JSON API in process, installing and activating the bundled plugin first when
 * the database has none yet.
 * @param host - an open host
 * @param context - for the bundled plugin's folder
 * @param method - GET or POST
 * @param path - the plugin route path, e.g. `/api/apps`
 * @param form - POST fields (strings, as a form would send them)
 * @returns the JSON body of a 2xx answer
 * @throws PluginError rebuilt from the API's `{ error: { code, message, details } }`
 */
export async function callPluginApi(
  host: HostApp,
  context: CliContext,
  method: 'GET' | 'POST',
  path: string,
  form: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await callPluginRoute(host, context, method, path, form);
  if (response.kind !== 'json') throw new PluginError('ERR_INTERNAL', `${method} ${path} did not answer with JSON.`);
  const body = (response.body ?? {}) as {
    error?: { code?: string; message?: string; details?: ErrorDetails };
  } & Record<string, unknown>;
  if ((response.status ?? 200) >= 400 || body.error) {
    const code = (body.error?.code ?? 'ERR_INTERNAL') as PluginErrorCode;
    throw new PluginError(code, body.error?.message, body.error?.details ?? {});
  }
  return body;
}

/**
 * Calls one route of the plugin in process and returns its answer as it is (any status, any kind), installing the
 * bundled plugin first when the database has none yet: `health` prints a 503 answer too.
 */
export async function callPluginRoute(
  host: HostApp,
  context: CliContext,
  method: 'GET' | 'POST',
  path: string,
  form: Record<string, string> = {},
): Promise<HostResponse> {
  let match = host.registry.matchRoute(PLUGIN_ID, method, path);
  if (!match) {
    const installed = await host.ensureInstalled(context.packageRoot);
    if (!installed.installed)
      throw new PluginError(
        'ERR_INTERNAL',
        `The ${PLUGIN_ID} plugin could not be installed: ${installed.problems.join('; ')}`,
      );
    match = host.registry.matchRoute(PLUGIN_ID, method, path);
  }
  if (!match)
    throw new PluginError('ERR_INTERNAL', `The ${PLUGIN_ID} plugin is not active (see \`oauth2-mail plugin list\`).`);
  const request: HostRequest = { method, params: match.params, query: {}, form, actor: await consoleActor(host) };
  return match.route.handle(request);
}

/** Drops options that were not given, and turns the rest into form strings. */
export function formOf(values: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) form[key] = String(value);
  return form;
}

interface AppView {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  readonly cloud: string | null;
  readonly tenant: string | null;
  readonly issuerUrl: string | null;
  readonly authorizeUrl: string | null;
  readonly tokenUrl: string | null;
  readonly clientId: string;
  readonly scopes: string | null;
  readonly secretExpiresAt: number | null;
  readonly credentialType: string;
  readonly certificateExpiresAt: number | null;
  readonly serviceAccountEmail: string | null;
}

function day(at: number | null): string {
  return at === null ? 'no expiry date' : `expires ${new Date(at).toISOString().slice(0, 10)}`;
}

function credentialWords(app: AppView): string {
  if (app.credentialType === 'certificate') return `certificate (${day(app.certificateExpiresAt)})`;
  if (app.credentialType === 'service_account') return `service account ${app.serviceAccountEmail ?? ''}`;
  return `client secret (${day(app.secretExpiresAt)})`;
}

function describe(app: AppView): string {
  const where =
    app.provider === 'microsoft' ? ` (${app.cloud ?? 'global'} cloud, tenant ${app.tenant ?? 'organizations'})` : '';
  const endpoints = app.issuerUrl ? `, issuer ${app.issuerUrl}` : app.tokenUrl ? `, token URL ${app.tokenUrl}` : '';
  const scopes = app.scopes ? `, scopes "${app.scopes}"` : '';
  const credential = `, ${credentialWords(app)}`;
  return `app ${app.id} "${app.name}": ${app.provider}${where}, client id ${app.clientId}${credential}${endpoints}${scopes}`;
}

/** The credential options of `app add`: exactly one kind. */
interface CredentialOptions {
  clientSecretFile?: string;
  clientCertificateFile?: string;
  clientKeyFile?: string;
  serviceAccountKeyFile?: string;
}

/**
 * The credential's form fields, read from the files the options name.
 * @throws PluginError ERR_INPUT_INVALID when no kind or several kinds are given, or a file cannot be read
 */
async function credentialForm(context: CliContext, options: CredentialOptions): Promise<Record<string, string>> {
  const kinds = [
    options.clientSecretFile !== undefined,
    options.clientCertificateFile !== undefined || options.clientKeyFile !== undefined,
    options.serviceAccountKeyFile !== undefined,
  ].filter(Boolean).length;
  if (kinds !== 1)
    throw new PluginError(
      'ERR_INPUT_INVALID',
      'Give one credential: --client-secret-file, or --client-certificate-file with --client-key-file, or ' +
        '--service-account-key-file.',
      { fields: ['clientSecret'] },
    );
  if (options.serviceAccountKeyFile !== undefined)
    return {
      credentialType: 'service_account',
      serviceAccountKey: context.readFileOption('service account key', options.serviceAccountKeyFile),
    };
  if (options.clientSecretFile !== undefined)
    return {
      credentialType: 'client_secret',
      clientSecret: await context.readSecret(
        'client secret',
        options.clientSecretFile === '-' ? undefined : options.clientSecretFile,
      ),
    };
  if (options.clientCertificateFile === undefined || options.clientKeyFile === undefined)
    throw new PluginError(
      'ERR_INPUT_INVALID',
      'A certificate needs both --client-certificate-file and --client-key-file.',
      {
        fields: options.clientCertificateFile === undefined ? ['clientCertificate'] : ['clientKey'],
      },
    );
  return {
    credentialType: 'certificate',
    clientCertificate: context.readFileOption('certificate', options.clientCertificateFile),
    clientKey: context.readFileOption('private key', options.clientKeyFile),
  };
}

/** The options `app add` and `app update` share (strings as commander hands them over). */
interface AppOptions extends CredentialOptions {
  provider?: string;
  name?: string;
  tenant?: string;
  cloud?: string;
  issuer?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  revocationUrl?: string;
  userinfoUrl?: string;
  deviceAuthorizationUrl?: string;
  clientId?: string;
  assertionAlgorithm?: string;
  scopes?: string;
  appTokenScope?: string;
  servicePrincipalId?: string;
  secretExpires?: string;
}

/** The API's form fields of the options given (the credential apart); an option not given is left out. */
function appForm(options: AppOptions): Record<string, string> {
  return formOf({
    name: options.name,
    provider: options.provider,
    tenant: options.tenant,
    cloud: options.cloud,
    issuerUrl: options.issuer,
    authorizeUrl: options.authorizeUrl,
    tokenUrl: options.tokenUrl,
    revocationUrl: options.revocationUrl,
    userinfoUrl: options.userinfoUrl,
    deviceAuthorizationUrl: options.deviceAuthorizationUrl,
    clientId: options.clientId,
    assertionAlgorithm: options.assertionAlgorithm,
    scopes: options.scopes,
    appTokenScope: options.appTokenScope,
    servicePrincipalId: options.servicePrincipalId,
    secretExpiresAt: options.secretExpires,
  });
}

/** The stored app's editable fields as form strings (the credential stays as stored when none is given). */
function storedAppForm(app: Record<string, unknown>): Record<string, string> {
  const fields = [
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
    'scopes',
    'appTokenScope',
    'servicePrincipalId',
    'assertionAlgorithm',
    'credentialType',
  ];
  const form: Record<string, string> = {};
  for (const field of fields) {
    const value = app[field];
    if (typeof value === 'string' && value.length > 0) form[field] = value;
  }
  if (typeof app.secretExpiresAt === 'number')
    form.secretExpiresAt = new Date(app.secretExpiresAt).toISOString().slice(0, 10);
  return form;
}

/** Adds the options `add` and `update` share; `required` makes provider and name mandatory (add). */
function appOptions(command: Command, required: boolean): Command {
  const provider = new Option('--provider <kind>', 'microsoft, google or generic').choices([
    'microsoft',
    'google',
    'generic',
  ]);
  command.addOption(required ? provider.makeOptionMandatory() : provider);
  if (required) command.requiredOption('--name <name>', 'a name admins recognise');
  else command.option('--name <name>', 'a name admins recognise');
  return command
    .option(
      '--tenant <tenant>',
      'Microsoft: tenant GUID, domain, organizations, common or consumers (default organizations)',
    )
    .addOption(new Option('--cloud <cloud>', 'Microsoft national cloud').choices(['global', 'usgov', 'china']))
    .option(
      '--issuer <url>',
      'OpenID Connect issuer for discovery (generic; or a local server imitating Microsoft/Google)',
    )
    .option('--authorize-url <url>', 'explicit authorization endpoint (with --token-url, instead of --issuer)')
    .option('--token-url <url>', 'explicit token endpoint')
    .option('--revocation-url <url>', 'RFC 7009 revocation endpoint (optional)')
    .option('--userinfo-url <url>', 'OpenID Connect userinfo endpoint (optional)')
    .option('--device-authorization-url <url>', 'RFC 8628 device authorization endpoint (optional)')
    .option('--client-id <id>', "the application (client) id (a service account's comes from its key file)")
    .option('--client-secret-file <file>', 'file whose first line is the client secret, or - for stdin')
    .option('--client-certificate-file <file>', 'certificate (PEM) whose key signs client assertions')
    .option('--client-key-file <file>', "the certificate's private key (PEM, RSA, no passphrase); stored sealed")
    .addOption(
      new Option('--assertion-algorithm <alg>', 'signature of the client assertion (default Microsoft PS256)').choices([
        'RS256',
        'PS256',
      ]),
    )
    .option('--service-account-key-file <file>', "a Google service account's JSON key file; its key is stored sealed")
    .option('--scopes <scopes>', "space-separated scopes instead of the provider's default")
    .option(
      '--app-token-scope <scope>',
      'scope of app-only and service-account tokens (Microsoft default https://outlook.office365.com/.default)',
    )
    .option('--service-principal-id <id>', 'Microsoft: object id of the Enterprise application (PowerShell lines)')
    .option('--secret-expires <date>', 'when the client secret expires (YYYY-MM-DD), for warnings');
}

/** What `GET /api/apps/:id` answers about registering the app at the provider. */
interface RegistrationView {
  readonly redirectUri: string | null;
  readonly delegatedScopes: { readonly read: readonly string[]; readonly send: readonly string[] };
  readonly appTokenScope: string | null;
  readonly credential: { readonly type: string; readonly expiresAt: number | null; readonly daysLeft: number | null };
}

/** `GET /api/apps/:id`, warning when the redirect URI is built from the default base URL. */
async function showApp(host: HostApp, context: CliContext, id: string): Promise<Record<string, unknown>> {
  const body = await callPluginApi(host, context, 'GET', `/api/apps/${encodeURIComponent(id)}`);
  if ((body.registration as RegistrationView | null)?.redirectUri) context.warnIfDefaultBaseUrl(host);
  return body;
}

function expiryWords(credential: RegistrationView['credential']): string {
  if (credential.type === 'service_account') return 'service account key: no expiry date';
  const what = credential.type === 'certificate' ? 'certificate' : 'client secret';
  if (credential.expiresAt === null || credential.daysLeft === null) return `${what}: expiry date not known`;
  const day = new Date(credential.expiresAt).toISOString().slice(0, 10);
  if (credential.daysLeft < 0) return `${what}: EXPIRED on ${day}`;
  return `${what}: expires ${day} (in ${credential.daysLeft} days)`;
}

/** The lines telling what to register at the provider. */
function registrationLines(registration: unknown): string[] {
  const facts = registration as RegistrationView | null | undefined;
  if (!facts) return [];
  const send = facts.delegatedScopes.send.length > 0 ? `; to send also: ${facts.delegatedScopes.send.join(' ')}` : '';
  return [
    ...(facts.redirectUri ? [`  redirect URI to register at the provider: ${facts.redirectUri}`] : []),
    `  permissions a sign-in asks for: ${facts.delegatedScopes.read.join(' ')}${send}`,
    ...(facts.appTokenScope ? [`  scope of the app's own tokens (app-only): ${facts.appTokenScope}`] : []),
    `  ${expiryWords(facts.credential)}`,
  ];
}

/**
 * Registers the `app` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const app = program
    .command('app')
    .description('OAuth2 app registrations (Microsoft Entra, Google, any OAuth2 provider)');

  appOptions(
    app
      .command('add')
      .description(
        'Register an OAuth2 app with one credential, read from files: a client secret (or stdin with "-"), a ' +
          "certificate and its private key, or a service account's JSON key file",
      ),
    true,
  ).action(async (options: AppOptions) => {
    const credential = await credentialForm(context, options);
    const body = await context.withHost(
      async (host) => {
        const created = await callPluginApi(host, context, 'POST', '/api/apps', { ...appForm(options), ...credential });
        const id = (created.app as AppView).id;
        return showApp(host, context, id);
      },
      { activatePlugins: true },
    );
    const created = body.app as AppView;
    context.output(created, [`Added ${describe(created)}`, ...registrationLines(body.registration)]);
  });

  appOptions(
    app
      .command('update <id>')
      .description(
        'Change an app registration: only the options given change; a new credential (any of the credential ' +
          'file options) replaces the stored one',
      ),
    false,
  ).action(async (id: string, options: AppOptions) => {
    const givesCredential =
      options.clientSecretFile !== undefined ||
      options.clientCertificateFile !== undefined ||
      options.clientKeyFile !== undefined ||
      options.serviceAccountKeyFile !== undefined;
    const credential = givesCredential ? await credentialForm(context, options) : {};
    const body = await context.withHost(
      async (host) => {
        const stored = (await showApp(host, context, id)).app as AppView & Record<string, unknown>;
        // The update is whole: what is not given keeps its stored value (never the secret, which stays sealed).
        const form = { ...storedAppForm(stored), ...appForm(options), ...credential };
        await callPluginApi(host, context, 'POST', `/api/apps/${encodeURIComponent(id)}/update`, form);
        return showApp(host, context, id);
      },
      { activatePlugins: true },
    );
    context.output(body.app, [`Updated ${describe(body.app as AppView)}`, ...registrationLines(body.registration)]);
  });

  app
    .command('list')
    .description('List the app registrations')
    .action(async () => {
      const body = await context.withHost((host) => callPluginApi(host, context, 'GET', '/api/apps'), {
        activatePlugins: true,
      });
      const apps = body.apps as AppView[];
      context.output(apps, apps.length === 0 ? 'No app registration yet (oauth2-mail app add …).' : apps.map(describe));
    });

  app
    .command('show <id>')
    .description(
      'Show one app registration: the redirect URI and permissions to register at the provider, when its secret or ' +
        'certificate expires, and the mail accounts using it (never the secret)',
    )
    .action(async (id: string) => {
      const body = await context.withHost((host) => showApp(host, context, id), { activatePlugins: true });
      const shown = body.app as AppView;
      const accounts = (body.accounts as Array<{ id: string; mailbox: string; status: string }>) ?? [];
      context.output(body, [
        describe(shown),
        ...registrationLines(body.registration),
        ...(accounts.length === 0
          ? ['  no mail account uses it']
          : accounts.map((a) => `  account ${a.id} ${a.mailbox}: ${a.status}`)),
      ]);
    });

  app
    .command('remove <id>')
    .description('Remove an app registration (refused while mail accounts use it)')
    .action(async (id: string) => {
      const body = await context.withHost(
        (host) => callPluginApi(host, context, 'POST', `/api/apps/${encodeURIComponent(id)}/remove`),
        { activatePlugins: true },
      );
      context.output(body, `Removed app ${id}`);
    });
}
