/**
 * Where the admin screen's pages live. Route paths (relative to the plugin's mount point) are what the routes
 * register and what redirects answer; links inside pages need the mount point in front, which is read from
 * `host.routes.publicUrl` so the screen works under any host's mount path (or a reverse-proxy prefix).
 */

/** Route paths, relative to the plugin's mount point (as declared in plugin.json). */
export const ROUTE_PATHS = {
  accounts: '/accounts',
  accountNew: '/accounts/new',
  account: (id: string) => `/accounts/${encodeURIComponent(id)}`,
  accountEdit: (id: string) => `/accounts/${encodeURIComponent(id)}/edit`,
  accountAction: (id: string, action: AccountAction) => `/accounts/${encodeURIComponent(id)}/${action}`,
  accountDevice: (id: string) => `/accounts/${encodeURIComponent(id)}/device`,
  appNew: '/apps/new',
  apps: '/apps',
  app: (id: string) => `/apps/${encodeURIComponent(id)}`,
  appDelete: (id: string) => `/apps/${encodeURIComponent(id)}/delete`,
  callback: '/callback',
} as const;

/** The POST actions on one account. */
export type AccountAction = 'connect' | 'connect-device' | 'test' | 'fetch' | 'disconnect' | 'delete';

/** Absolute paths (mount point included) for links and form actions inside pages. */
export class AdminPaths {
  /**
   * @param publicUrl - `host.routes.publicUrl`: absolute URL of a plugin route path
   */
  constructor(private readonly publicUrl: (path: string) => string) {}

  /**
   * The mount point, e.g. `/plugins/oauth2-mail` (no trailing slash); read on each call since the host may learn its
   * URL late.
   */
  get base(): string {
    return new URL(this.publicUrl('/')).pathname.replace(/\/+$/, '');
  }

  /** A route path with the mount point in front (a query string may follow). */
  to(routePath: string): string {
    return `${this.base}${routePath}`;
  }

  /** The exact redirect URI to register at the provider. */
  redirectUri(): string {
    return this.publicUrl(ROUTE_PATHS.callback);
  }
}
