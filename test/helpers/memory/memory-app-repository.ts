import { PluginError } from '../../../plugin/errors';
import {
  CLIENT_SECRET_CREDENTIAL,
  type AppIncident,
  type AppRegistration,
  type AppRegistrationInput,
  type AppRepository,
} from '../../../plugin/ports/app-repository';
import type { Clock } from '../../../plugin/ports/clock';
import type { MemoryStore } from './memory-store';

/** The optional fields of an input that are present (`undefined` = keep the stored value on update). */
function presentOptionals(input: AppRegistrationInput): Partial<AppRegistration> {
  const fields: Record<string, unknown> = {
    cloud: input.cloud,
    tenant: input.tenant,
    issuerUrl: input.issuerUrl,
    authorizeUrl: input.authorizeUrl,
    tokenUrl: input.tokenUrl,
    revocationUrl: input.revocationUrl,
    userinfoUrl: input.userinfoUrl,
    scopes: input.scopes,
    secretExpiresAt: input.secretExpiresAt,
    credentialType: input.credentialType,
    certificatePem: input.certificatePem,
    certificateExpiresAt: input.certificateExpiresAt,
    assertionAlgorithm: input.assertionAlgorithm,
    serviceAccountEmail: input.serviceAccountEmail,
    serviceAccountKeyId: input.serviceAccountKeyId,
    serviceAccountTokenUrl: input.serviceAccountTokenUrl,
    appTokenScope: input.appTokenScope,
    deviceAuthorizationUrl: input.deviceAuthorizationUrl,
    servicePrincipalId: input.servicePrincipalId,
    authorizePrompt: input.authorizePrompt,
  };
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields as Partial<AppRegistration>;
}

/**
 * {@link AppRepository} in a {@link MemoryStore}; the client secret and the private key are kept beside the app,
 * never returned with it.
 */
export class MemoryAppRepository implements AppRepository {
  /**
   * @param store - the database
   * @param clock - timestamps
   */
  constructor(
    private readonly store: MemoryStore,
    private readonly clock: Clock,
  ) {}

  async create(input: AppRegistrationInput & { readonly clientSecret: string }): Promise<AppRegistration> {
    const now = this.clock.now();
    const app: AppRegistration = {
      id: this.store.nextId('apps'),
      cloud: null,
      tenant: null,
      issuerUrl: null,
      authorizeUrl: null,
      tokenUrl: null,
      revocationUrl: null,
      userinfoUrl: null,
      scopes: null,
      secretExpiresAt: null,
      incident: null,
      ...CLIENT_SECRET_CREDENTIAL,
      ...presentOptionals(input),
      name: input.name,
      provider: input.provider,
      clientId: input.clientId,
      createdAt: now,
      updatedAt: now,
    };
    this.store.apps.set(app.id, {
      app,
      clientSecret: input.clientSecret,
      privateKey: input.privateKey ?? null,
      credentialWarning: null,
    });
    return { ...app };
  }

  async update(id: string, input: AppRegistrationInput): Promise<AppRegistration> {
    const row = this.store.requireApp(id);
    const app: AppRegistration = {
      ...row.app,
      ...presentOptionals(input),
      name: input.name,
      provider: input.provider,
      clientId: input.clientId,
      updatedAt: this.clock.now(),
    };
    this.store.apps.set(id, {
      ...row,
      app,
      clientSecret: input.clientSecret ?? row.clientSecret,
      privateKey: input.privateKey === undefined ? row.privateKey : input.privateKey,
    });
    return { ...app };
  }

  async find(id: string): Promise<AppRegistration | null> {
    const row = this.store.apps.get(id);
    return row ? { ...row.app } : null;
  }

  /** @returns every app, oldest first */
  async list(): Promise<AppRegistration[]> {
    return [...this.store.apps.values()].map((row) => ({ ...row.app }));
  }

  async clientSecret(id: string): Promise<string> {
    return this.store.requireApp(id).clientSecret;
  }

  /** Opens the incident unless one of this code is open; `updatedAt` stays. */
  async openIncident(id: string, incident: AppIncident): Promise<boolean> {
    const row = this.store.apps.get(id);
    if (!row || row.app.incident?.code === incident.code) return false;
    this.store.apps.set(id, { ...row, app: { ...row.app, incident: { ...incident } } });
    return true;
  }

  async closeIncident(id: string): Promise<void> {
    const row = this.store.apps.get(id);
    if (row) this.store.apps.set(id, { ...row, app: { ...row.app, incident: null } });
  }

  async privateKey(id: string): Promise<string> {
    const key = this.store.requireApp(id).privateKey;
    if (key === null)
      throw new PluginError('ERR_PROVIDER_CONFIG', `App registration ${id} has no private key stored.`, { appId: id });
    return key;
  }

  async recordCredentialWarning(id: string, warning: string | null): Promise<boolean> {
    const row = this.store.apps.get(id);
    if (!row || row.credentialWarning === warning) return false;
    row.credentialWarning = warning;
    return true;
  }

  /** @throws PluginError ERR_CONFLICT while accounts still use the app; an unknown app is a no-op */
  async remove(id: string): Promise<void> {
    if (!this.store.apps.has(id)) return;
    const users = [...this.store.accounts.values()].filter((row) => row.account.appId === id).length;
    if (users > 0) {
      throw new PluginError(
        'ERR_CONFLICT',
        `App registration ${id} is still used by ${users} mail account(s); remove them or move them to another app first.`,
        { appId: id, accounts: users },
      );
    }
    this.store.apps.delete(id);
  }
}
