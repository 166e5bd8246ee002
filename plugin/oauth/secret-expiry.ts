/**
 * Warns before an app registration's credential lapses (docs/architecture.md#secret-expiry-warnings): a client
 * secret by the expiry date the admin entered, a certificate by its own notAfter. Entra secrets expire after at most
 * 24 months and take every mailbox of the app down with AADSTS7000222. One notification per app and threshold:
 * 30 days ahead, again 7 days ahead, and once expired; each exactly once however many cycles (and processes) pass,
 * because the threshold reached is recorded on the app with one conditional UPDATE. Resolved once a credential
 * with a later expiry is saved.
 */
import type { AccountRepository } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort, NotifyPort } from '../ports/host';
import { ROUTE_PATHS } from '../admin/admin-paths';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The warning thresholds, in days before the expiry: the one number the screen and the notifications share. */
export const CREDENTIAL_WARNING_DAYS = [30, 7] as const;

/** Which warning is due: 30 or 7 days ahead, or expired. */
export type CredentialWarningStage = '30' | '7' | 'expired';

const STAGES: readonly CredentialWarningStage[] = ['30', '7', 'expired'];

/** The app's credential that expires, and when (epoch ms); null when nothing is known to expire. */
export function expiringCredential(
  app: Pick<AppRegistration, 'credentialType' | 'secretExpiresAt' | 'certificateExpiresAt'>,
): { readonly kind: 'client secret' | 'certificate'; readonly expiresAt: number } | null {
  if (app.credentialType === 'certificate')
    return app.certificateExpiresAt === null ? null : { kind: 'certificate', expiresAt: app.certificateExpiresAt };
  if (app.credentialType === 'client_secret' && app.secretExpiresAt !== null)
    return { kind: 'client secret', expiresAt: app.secretExpiresAt };
  return null;
}

/** The warning due at `now` for a credential expiring at `expiresAt`, or null when none is. */
export function warningStage(expiresAt: number, now: number): CredentialWarningStage | null {
  if (expiresAt <= now) return 'expired';
  const [first, last] = CREDENTIAL_WARNING_DAYS;
  if (expiresAt - now <= last * DAY_MS) return '7';
  if (expiresAt - now <= first * DAY_MS) return '30';
  return null;
}

/** The one key per app of the warnings before thresholds existed: resolved once the new warnings take over. */
function legacyExpiryKey(appId: string): string {
  return `oauth2-mail:app:${appId}:secret-expiry`;
}

/** The notification key of an app's credential warning at one threshold. */
export function credentialExpiryKey(appId: string, stage: CredentialWarningStage): string {
  return `oauth2-mail:app:${appId}:credential-expiry:${stage}`;
}

const RENEWAL: Readonly<Record<'client secret' | 'certificate', string>> = {
  'client secret':
    'Create a new client secret at the provider and save it, with its new expiry date, in the app registration.',
  certificate:
    'Create a new certificate, upload its public part to the app at the provider, and save the certificate and its ' +
    'private key in the app registration.',
};

/** Dependencies of {@link checkCredentialExpiry}. */
export interface CredentialExpiryDeps {
  readonly apps: AppRepository;
  readonly accounts: Pick<AccountRepository, 'list'>;
  readonly notify: NotifyPort;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/**
 * One pass over the apps: sends each threshold's warning once, resolves the warnings of apps no longer due.
 * @returns the ids of the apps whose credential is due (expiring within 30 days, or expired)
 */
export async function checkCredentialExpiry(deps: CredentialExpiryDeps): Promise<string[]> {
  const now = deps.clock.now();
  const due: string[] = [];
  for (const app of await deps.apps.list()) {
    try {
      const credential = expiringCredential(app);
      const stage = credential ? warningStage(credential.expiresAt, now) : null;
      if (!credential || !stage) {
        if (await deps.apps.recordCredentialWarning(app.id, null)) {
          for (const earlier of STAGES) await deps.notify.resolve(credentialExpiryKey(app.id, earlier));
          await deps.notify.resolve(legacyExpiryKey(app.id));
        }
        continue;
      }
      due.push(app.id);
      if (!(await deps.apps.recordCredentialWarning(app.id, `${credential.expiresAt}:${stage}`))) continue;
      for (const other of STAGES) if (other !== stage) await deps.notify.resolve(credentialExpiryKey(app.id, other));
      await deps.notify.resolve(legacyExpiryKey(app.id));
      await deps.notify.notify(await warning(deps, app, credential, stage, now));
    } catch (error) {
      deps.logger.warn('oauth2-mail: credential expiry notification failed', {
        appId: app.id,
        error: (error as Error).message,
      });
    }
  }
  return due;
}

async function warning(
  deps: CredentialExpiryDeps,
  app: AppRegistration,
  credential: { readonly kind: 'client secret' | 'certificate'; readonly expiresAt: number },
  stage: CredentialWarningStage,
  now: number,
) {
  const mailboxes = (await deps.accounts.list({ appId: app.id })).map((account) => account.mailbox);
  const expired = stage === 'expired';
  const days = Math.max(0, Math.ceil((credential.expiresAt - now) / DAY_MS));
  const date = new Date(credential.expiresAt).toISOString().slice(0, 10);
  const named =
    mailboxes.length > 3
      ? `${mailboxes.slice(0, 3).join(', ')} and ${mailboxes.length - 3} more`
      : mailboxes.join(', ');
  const who =
    mailboxes.length === 0 ? 'Mail accounts using this app stop' : `Every mail account of this app (${named}) stops`;
  return {
    key: credentialExpiryKey(app.id, stage),
    severity: expired ? ('error' as const) : ('warning' as const),
    title: expired
      ? `The ${credential.kind} of app "${app.name}" has expired`
      : `The ${credential.kind} of app "${app.name}" expires in ${days} day(s)`,
    message: `${who} ${expired ? 'since' : 'when'} it expires (${date}). ${RENEWAL[credential.kind]}`,
    path: ROUTE_PATHS.accounts,
  };
}
