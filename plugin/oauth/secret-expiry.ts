/**
 * Warns before an app registration's client secret lapses (Entra secrets expire after at most 24 months and
 * take every mailbox of the app down with AADSTS7000222): one notification per app while it is due, resolved
 * once the admin saved a new expiry date.
 */
import type { AppRepository } from '../ports/app-repository';
import type { Clock } from '../ports/clock';
import type { LoggerPort, NotifyPort } from '../ports/host';
import { ROUTE_PATHS } from '../admin/admin-paths';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long before the expiry the admin is warned. */
export const SECRET_EXPIRY_WARNING_DAYS = 14;

/** The notification key of an app's secret expiry. */
export function secretExpiryKey(appId: string): string {
  return `oauth2-mail:app:${appId}:secret-expiry`;
}

/**
 * One pass over the apps: warns for those whose secret expires within {@link SECRET_EXPIRY_WARNING_DAYS}
 * (or has expired), resolves the warning of the others.
 * @returns the ids of the apps warned about
 */
export async function checkSecretExpiry(deps: {
  readonly apps: AppRepository;
  readonly notify: NotifyPort;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}): Promise<string[]> {
  const now = deps.clock.now();
  const warned: string[] = [];
  for (const app of await deps.apps.list()) {
    const key = secretExpiryKey(app.id);
    try {
      if (app.secretExpiresAt === null || app.secretExpiresAt - now > SECRET_EXPIRY_WARNING_DAYS * DAY_MS) {
        await deps.notify.resolve(key);
        continue;
      }
      const expired = app.secretExpiresAt <= now;
      const days = Math.max(0, Math.ceil((app.secretExpiresAt - now) / DAY_MS));
      const expiryDate = new Date(app.secretExpiresAt).toISOString().slice(0, 10);
      await deps.notify.notify({
        key,
        severity: expired ? 'error' : 'warning',
        title: expired
          ? `The client secret of app "${app.name}" has expired`
          : `The client secret of app "${app.name}" expires in ${days} day(s)`,
        message:
          `Mail accounts using this app stop fetching when the secret expires (${expiryDate}). ` +
          'Create a new client secret at the provider and save it, with its new expiry date, in the app registration.',
        path: ROUTE_PATHS.accounts,
      });
      warned.push(app.id);
    } catch (error) {
      deps.logger.warn('oauth2-mail: secret expiry notification failed', {
        appId: app.id,
        error: (error as Error).message,
      });
    }
  }
  return warned;
}
