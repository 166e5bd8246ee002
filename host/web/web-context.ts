/** What the web routes share: the stores, the plugin registry, and page rendering inside the shell. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SessionStore } from '../auth/session-store';
import type { SignInThrottle } from '../auth/sign-in-throttle';
import type { UserStore } from '../auth/user-store';
import type { ContributionRegistry } from '../contribution-registry';
import type { SafeHtml } from '../../lib/html';
import type { NotificationCenter } from '../notifications';
import type { OutboxStore } from '../outbox/outbox-store';
import type { SendService } from '../outbox/send-service';
import type { PluginManager } from '../plugin-manager';
import { pluginMountPath, pluginPagePath } from '../plugin-scope';
import type { TicketStore } from '../ticket-store';
import { renderLayout, type MenuEntry } from './layout';
import { SESSION_COOKIE } from './request-auth';

/** Dependencies of the web routes. */
export interface WebDependencies {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly signInThrottle: SignInThrottle;
  readonly tickets: TicketStore;
  readonly notifications: NotificationCenter;
  readonly registry: ContributionRegistry;
  readonly outbox: OutboxStore;
  readonly sending: SendService;
  readonly plugins: PluginManager;
  readonly logger: Logger;
  /** Set the `Secure` attribute on cookies (the public base URL is https). */
  readonly secureCookies: boolean;
  /** The helpdesk's public base URL (its origin is where sign-in may send the browser back to). */
  readonly publicBaseUrl: () => string;
  /** True when `token` is the current monitoring token (`oauth2-mail monitoring token`). */
  readonly isMonitoringToken: (token: string) => Promise<boolean>;
  /** True when the database answers (the host's `/healthz`). */
  readonly databaseAnswers: () => Promise<boolean>;
}

/** The web routes' shared context. */
export interface WebContext extends WebDependencies {
  /** Sends a full page in the admin shell (menu and, for admins, notification banners). */
  sendPage(
    request: FastifyRequest,
    reply: FastifyReply,
    page: { readonly title: string; readonly body: SafeHtml; readonly status?: number },
  ): Promise<FastifyReply>;
}

/**
 * Builds the context.
 * @param deps - the stores and services
 */
export function createWebContext(deps: WebDependencies): WebContext {
  const menuFor = (request: FastifyRequest): MenuEntry[] => {
    const session = request.hostSession;
    if (!session) return [];
    const menu: MenuEntry[] = [
      { title: 'Tickets', href: '/tickets' },
      { title: 'Outbox', href: '/outbox' },
    ];
    if (session.user.role === 'admin') {
      menu.unshift({ title: 'Overview', href: '/' });
      for (const { pluginId, screen } of deps.registry.adminScreens())
        menu.push({ title: screen.title, href: `${pluginMountPath(pluginId)}${screen.path}` });
    }
    return menu;
  };
  return {
    ...deps,
    async sendPage(request, reply, page) {
      const session = request.hostSession ?? null;
      const open = session?.user.role === 'admin' ? await deps.notifications.listOpen() : [];
      // A notification names a plugin route path; the banner links to where the host serves it.
      const banners = open.map((n) => ({
        ...n,
        path: n.path === null ? null : (pluginPagePath(n.pluginId, n.path) ?? null),
      }));
      const document = renderLayout({
        title: page.title,
        body: page.body,
        user: session?.user,
        csrfToken: session?.csrfToken,
        menu: menuFor(request),
        banners,
        notice: session?.notice,
      });
      if (session?.notice) await deps.sessions.clearNotice(request.hostCookies[SESSION_COOKIE]);
      return reply
        .code(page.status ?? 200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(document);
    },
  };
}
