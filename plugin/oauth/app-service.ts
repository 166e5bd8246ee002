/**
 * OAuth2 app registrations: validation (shared by the console and the admin screen), create / update / list /
 * remove, with events. The client secret and the private keys (certificate, service account) are write-only: they
 * go to the repository (which seals them) and never come back out of this service.
 */
import { z } from 'zod';
import { PluginError } from '../errors';
import type { AccountRepository } from '../ports/account-repository';
import type { AppRegistration, AppRegistrationInput, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { EventLog, EventType } from '../ports/event-log';
import { credentialColumns } from './app-credential-input';
import { parseServiceAccountKey } from './service-account-key';
import { assertMicrosoftTenant } from './providers/microsoft';
import type { EndpointResolver } from './providers/endpoint-resolver';
import { assertProviderUrl } from './providers/url-policy';
import { allIssues, blankToUndefined, inputError, parseEveryField } from './validation';

/** Visible ASCII and space: what OAuth2 allows in a client id or secret (RFC 6749 Appendix A.1). */
const VSCHAR = /^[\x20-\x7E]+$/;
/** One scope token (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const URL_FIELDS = [
  'issuerUrl',
  'authorizeUrl',
  'tokenUrl',
  'revocationUrl',
  'userinfoUrl',
  'deviceAuthorizationUrl',
] as const;
/** OpenID Connect's `prompt` values that ask the person something (`none` would forbid the account choice). */
const PROMPT_VALUES: readonly string[] = ['select_account', 'login', 'consent'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Pasted PEM or JSON: kept as given (line breaks matter), bounded. */
const pastedText = (max: number) =>
  z.preprocess(blankToUndefined, z.string().max(max, `must be at most ${max} characters`).optional());

/** The last instant a secret expiry may have: every page formats it as a date, which has four-digit years. */
const LAST_EXPIRY_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A secret expiry as entered: a calendar date `YYYY-MM-DD` (UTC midnight) or epoch milliseconds (the console); NaN
 * for anything else, so the field is refused rather than read leniently (Date.parse takes "2026-02-30" as March 2).
 */
function expiryFromText(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return Number.NaN;
  const at = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(at) && new Date(at).toISOString().slice(0, 10) === text ? at : Number.NaN;
}

const optionalText = (max: number) =>
  z.preprocess(blankToUndefined, z.string().trim().max(max, `must be at most ${max} characters`).optional());

/** The raw fields of an app registration as a form or the console sends them. */
const AppFields = z.object({
  name: z.preprocess(
    blankToUndefined,
    z.string({ error: 'is required' }).trim().min(1, 'is required').max(120, 'must be at most 120 characters'),
  ),
  provider: z.enum(['microsoft', 'google', 'generic'], { error: 'must be microsoft, google or generic' }),
  cloud: z.preprocess(
    blankToUndefined,
    z.enum(['global', 'usgov', 'china'], { error: 'must be global, usgov or china' }).optional(),
  ),
  tenant: optionalText(255),
  issuerUrl: optionalText(2000),
  authorizeUrl: optionalText(2000),
  tokenUrl: optionalText(2000),
  revocationUrl: optionalText(2000),
  userinfoUrl: optionalText(2000),
  clientId: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'is required')
      .max(500, 'must be at most 500 characters')
      .regex(VSCHAR, 'may contain only visible ASCII characters'),
  ),
  credentialType: z.preprocess(
    (value) => (typeof value === 'string' ? blankToUndefined(value.replace(/-/g, '_')) : value),
    z
      .enum(['client_secret', 'certificate', 'service_account'], {
        error: 'must be client_secret, certificate or service_account',
      })
      .optional(),
  ),
  clientCertificate: pastedText(20_000),
  clientKey: pastedText(20_000),
  assertionAlgorithm: z.preprocess(
    blankToUndefined,
    z.enum(['RS256', 'PS256'], { error: 'must be RS256 or PS256' }).optional(),
  ),
  serviceAccountKey: pastedText(20_000),
  appTokenScope: optionalText(2000),
  deviceAuthorizationUrl: optionalText(2000),
  servicePrincipalId: optionalText(64),
  authorizePrompt: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine(
        (prompt) => prompt.split(/\s+/).every((value) => PROMPT_VALUES.includes(value)),
        'must be select_account, login or consent (or several, separated by spaces)',
      )
      .optional(),
  ),
  clientSecret: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(4096, 'must be at most 4096 characters')
      .regex(VSCHAR, 'may contain only visible ASCII characters (paste the secret VALUE, not its id)')
      .optional(),
  ),
  scopes: optionalText(2000),
  secretExpiresAt: z.preprocess(
    (value) => {
      const blank = blankToUndefined(value);
      return typeof blank === 'string' ? expiryFromText(blank.trim()) : blank;
    },
    z
      .number({ error: 'must be a date (YYYY-MM-DD)' })
      .int('must be a date (YYYY-MM-DD)')
      .positive('must be a date (YYYY-MM-DD)')
      .max(LAST_EXPIRY_MS, 'must be a date (YYYY-MM-DD) before the year 10000')
      .optional(),
  ),
});

/** A service account's app may leave the client id out: its key file names it (`client_id`). */
function withClientIdOfKeyFile(raw: unknown): unknown {
  const fields = (raw ?? {}) as Record<string, unknown>;
  if (blankToUndefined(fields.clientId) !== undefined || typeof fields.serviceAccountKey !== 'string') return fields;
  try {
    return { ...fields, clientId: parseServiceAccountKey(fields.serviceAccountKey).clientId ?? undefined };
  } catch {
    // The key file's own problem is reported with the other fields.
    return fields;
  }
}

/** A space-separated scope list without extra blanks, or null. */
function normalizedScopes(scopes: string | undefined): string | null {
  const list = (scopes ?? '').split(/\s+/).filter((scope) => scope.length > 0);
  return list.length > 0 ? list.join(' ') : null;
}

/** What {@link AppService.validate} checks a create or an update against. */
export type AppFieldsInput = z.input<typeof AppFields>;

/** Dependencies of {@link AppService}. */
export interface AppServiceDeps {
  readonly apps: AppRepository;
  readonly accounts: AccountRepository;
  readonly events: EventLog;
  readonly clock: Clock;
  /** Plugin config `allowInsecureLoopback`. */
  readonly allowInsecureLoopback: boolean;
  /** Plugin config `allowPrivateNetworks` (default false). */
  readonly allowPrivateNetworks?: boolean;
  /** Forgotten discovery documents after an edit. */
  readonly endpoints?: Pick<EndpointResolver, 'forget'>;
}

/** App registrations. */
export class AppService {
  /** @param deps - repositories, event log, clock, URL policy */
  constructor(private readonly deps: AppServiceDeps) {}

  /**
   * Validates raw input (strings from a form or the console).
   * @param raw - the fields
   * @param mode - `create` requires the client secret; `update` keeps the stored one when it is omitted
   * @throws PluginError ERR_INPUT_INVALID naming every invalid field
   */
  validate(raw: unknown, mode: 'create' | 'update', before: AppRegistration | null = null): AppRegistrationInput {
    const parsed = parseEveryField(AppFields, withClientIdOfKeyFile(raw));
    const input = parsed.data;
    if (!input || input.provider === undefined) throw inputError('app registration', parsed.issues);
    const problems: z.core.$ZodIssue[] = [];
    const problem = (field: string, message: string) =>
      problems.push({ code: 'custom', path: [field], message, input: undefined } as z.core.$ZodIssue);

    const credential = credentialColumns(
      input.provider,
      input,
      mode === 'update' ? before : null,
      problem,
      this.deps.allowInsecureLoopback,
    );
    if (input.authorizePrompt !== undefined && input.provider !== 'generic')
      problem('authorizePrompt', 'applies to generic providers only (Microsoft and Google always ask for the account)');
    if (input.servicePrincipalId !== undefined && input.provider !== 'microsoft')
      problem('servicePrincipalId', 'applies to Microsoft apps only');
    else if (input.servicePrincipalId !== undefined && !GUID.test(input.servicePrincipalId))
      problem('servicePrincipalId', 'must be the object id (a GUID) of the Enterprise application');
    if (input.provider === 'microsoft') {
      if (input.tenant !== undefined) {
        try {
          assertMicrosoftTenant(input.tenant);
        } catch (error) {
          problem('tenant', (error as Error).message.replace(/^tenant: /, ''));
        }
      }
      const overridden =
        input.issuerUrl !== undefined || input.authorizeUrl !== undefined || input.tokenUrl !== undefined;
      // Entra's client ids are GUIDs; a stand-in server reached through an override issues its own.
      if (!overridden && input.clientId !== undefined && !GUID.test(input.clientId))
        problem(
          'clientId',
          'must be the Application (client) ID, a GUID such as 0b5f3c2e-1d4a-4e8b-9c7f-2a6d8e1f0b3c (not the secret ' +
            'or the Object ID)',
        );
      const tenantChanged = before !== null && (input.tenant ?? 'organizations') !== (before.tenant ?? 'organizations');
      if (mode === 'update' && overridden && tenantChanged)
        problem(
          'tenant',
          'is not used while an issuer URL or endpoint override is set (the override decides where sign-ins go): ' +
            'clear the override to change the tenant, or change the override',
        );
    } else {
      if (input.cloud !== undefined) problem('cloud', 'applies to Microsoft apps only');
      if (input.tenant !== undefined) problem('tenant', 'applies to Microsoft apps only');
    }
    // A service account needs only a token endpoint (its key file's token_uri, or the app's).
    const serviceAccountReachable =
      credential?.credentialType === 'service_account' &&
      (credential.serviceAccountTokenUrl !== null || input.tokenUrl !== undefined);
    if (
      input.provider === 'generic' &&
      !serviceAccountReachable &&
      input.issuerUrl === undefined &&
      (input.authorizeUrl === undefined || input.tokenUrl === undefined)
    ) {
      if (input.authorizeUrl === undefined && input.tokenUrl === undefined)
        problem('issuerUrl', 'is required for a generic provider (or give both authorizeUrl and tokenUrl)');
      else
        problem(
          input.authorizeUrl === undefined ? 'authorizeUrl' : 'tokenUrl',
          'is required together with the other endpoint when no issuer URL is given',
        );
    }
    if (
      input.provider !== 'generic' &&
      input.issuerUrl === undefined &&
      (input.authorizeUrl === undefined) !== (input.tokenUrl === undefined)
    ) {
      problem(
        input.authorizeUrl === undefined ? 'authorizeUrl' : 'tokenUrl',
        'overriding one endpoint needs the other as well (or an issuer URL)',
      );
    }
    for (const field of URL_FIELDS) {
      const value = input[field];
      if (value === undefined) continue;
      try {
        assertProviderUrl(value, field, this.deps.allowInsecureLoopback, {
          allowPrivateNetworks: this.deps.allowPrivateNetworks ?? false,
        });
      } catch (error) {
        problem(field, (error as Error).message.replace(`${field}: `, ''));
      }
    }
    for (const field of ['scopes', 'appTokenScope'] as const) {
      const value = input[field];
      if (value === undefined) continue;
      const bad = value.split(/\s+/).filter((scope) => scope.length > 0 && !SCOPE_TOKEN.test(scope));
      if (bad.length > 0) problem(field, `contains characters a scope may not have: ${bad.slice(0, 3).join(', ')}`);
    }
    if (problems.length > 0 || parsed.issues.length > 0 || !credential)
      throw inputError('app registration', allIssues(parsed.issues, problems));

    return {
      name: input.name,
      provider: input.provider,
      cloud: input.provider === 'microsoft' ? (input.cloud ?? 'global') : null,
      tenant: input.provider === 'microsoft' ? (input.tenant ?? 'organizations') : null,
      issuerUrl: input.issuerUrl ?? null,
      authorizeUrl: input.authorizeUrl ?? null,
      tokenUrl: input.tokenUrl ?? null,
      revocationUrl: input.revocationUrl ?? null,
      userinfoUrl: input.userinfoUrl ?? null,
      clientId: input.clientId,
      scopes: normalizedScopes(input.scopes),
      appTokenScope: normalizedScopes(input.appTokenScope),
      deviceAuthorizationUrl: input.deviceAuthorizationUrl ?? null,
      servicePrincipalId: input.servicePrincipalId?.toLowerCase() ?? null,
      authorizePrompt: input.provider === 'generic' ? (input.authorizePrompt?.split(/\s+/).join(' ') ?? null) : null,
      ...credential,
    };
  }

  /**
   * @param raw - the fields, client secret included
   * @param actorId - who did it (event)
   * @throws PluginError ERR_INPUT_INVALID
   */
  async create(raw: unknown, actorId: string | null): Promise<AppRegistration> {
    const input = this.validate(raw, 'create');
    const app = await this.deps.apps.create({ ...input, clientSecret: input.clientSecret ?? '' });
    await this.record('app_created', app, actorId, `App registration "${app.name}" (${app.provider}) created.`);
    return app;
  }

  /**
   * @param id - the app
   * @param raw - all fields; an omitted client secret keeps the stored one
   * @throws PluginError ERR_INPUT_INVALID | ERR_NOT_FOUND
   */
  async update(id: string, raw: unknown, actorId: string | null): Promise<AppRegistration> {
    const before = await this.get(id);
    const input = this.validate(raw, 'update', before);
    const app = await this.deps.apps.update(id, input);
    if (before.issuerUrl) this.deps.endpoints?.forget(before.issuerUrl);
    const renewed = input.clientSecret
      ? ' (new client secret)'
      : input.privateKey
        ? ` (new ${app.credentialType === 'certificate' ? 'certificate key' : 'service account key'})`
        : '';
    await this.record('app_updated', app, actorId, `App registration "${app.name}" updated${renewed}.`);
    return app;
  }

  /** Every app registration. */
  list(): Promise<AppRegistration[]> {
    return this.deps.apps.list();
  }

  /** @throws PluginError ERR_NOT_FOUND */
  async get(id: string): Promise<AppRegistration> {
    const app = await this.deps.apps.find(id);
    if (!app) throw new PluginError('ERR_NOT_FOUND', `App registration ${id} does not exist.`, { appId: id });
    return app;
  }

  /** @throws PluginError ERR_NOT_FOUND | ERR_CONFLICT while mail accounts use the app */
  async remove(id: string, actorId: string | null): Promise<void> {
    const app = await this.get(id);
    const users = await this.deps.accounts.list({ appId: id });
    if (users.length > 0) {
      throw new PluginError(
        'ERR_CONFLICT',
        `App registration "${app.name}" is used by ${users.length} mail account(s) (${users
          .slice(0, 3)
          .map((a) => a.mailbox)
          .join(', ')}): remove them first.`,
        { appId: id },
      );
    }
    await this.deps.apps.remove(id);
    await this.record('app_removed', app, actorId, `App registration "${app.name}" removed.`);
  }

  private async record(type: EventType, app: AppRegistration, actorId: string | null, message: string): Promise<void> {
    await this.deps.events.record({
      at: this.deps.clock.now(),
      type,
      accountId: null,
      appId: app.id,
      actorId,
      code: null,
      message,
    });
  }
}
