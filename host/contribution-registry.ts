/**
 * What active plugins registered at runtime: routes, admin screens and mail transports (scheduled
 * tasks live in the {@link Scheduler}). The web layer dispatches through it, so plugins can be
 * activated after the server started listening.
 */
import { PluginError } from '../plugin/index';
import type { AdminScreen, Disposable, MailTransport, RouteDefinition } from '../plugin/index';
import { matchRoutePath } from './route-pattern';

/** A route and the plugin that registered it. */
export interface RegisteredRoute {
  readonly pluginId: string;
  readonly route: RouteDefinition;
}

/** A screen and the plugin that registered it. */
export interface RegisteredScreen {
  readonly pluginId: string;
  readonly screen: AdminScreen;
}

/** A transport and the plugin that registered it. */
export interface RegisteredTransport {
  readonly pluginId: string;
  readonly transport: MailTransport;
}

/** Live registrations of every plugin. */
export class ContributionRegistry {
  private readonly routes: RegisteredRoute[] = [];
  private readonly screens: RegisteredScreen[] = [];
  private readonly transports: RegisteredTransport[] = [];
  /** The contribution id of each entry. */
  private readonly ids = new WeakMap<object, string>();

  /** @throws PluginError ERR_CONFLICT when the plugin already registered this id */
  addRoute(pluginId: string, route: RouteDefinition): Disposable {
    return this.add(this.routes, { pluginId, route }, route.id);
  }

  /** @throws PluginError ERR_CONFLICT when the plugin already registered this id */
  addScreen(pluginId: string, screen: AdminScreen): Disposable {
    return this.add(this.screens, { pluginId, screen }, screen.id);
  }

  /** @throws PluginError ERR_CONFLICT when the plugin already registered this id */
  addTransport(pluginId: string, transport: MailTransport): Disposable {
    return this.add(this.transports, { pluginId, transport }, transport.id);
  }

  /** The route of `pluginId` answering `method path`, with its path parameters. */
  matchRoute(
    pluginId: string,
    method: string,
    path: string,
  ): { readonly route: RouteDefinition; readonly params: Record<string, string> } | null {
    for (const entry of this.routes) {
      if (entry.pluginId !== pluginId || entry.route.method !== method) continue;
      const params = matchRoutePath(entry.route.path, path);
      if (params) return { route: entry.route, params };
    }
    return null;
  }

  /** Every registered admin screen, in registration order. */
  adminScreens(): readonly RegisteredScreen[] {
    return [...this.screens];
  }

  /** Every registered mail transport. */
  mailTransports(): readonly RegisteredTransport[] {
    return [...this.transports];
  }

  /** Ids registered by one plugin, per kind. */
  idsOf(pluginId: string): {
    readonly routes: string[];
    readonly adminScreens: string[];
    readonly mailTransports: string[];
  } {
    return {
      routes: this.routes.filter((e) => e.pluginId === pluginId).map((e) => e.route.id),
      adminScreens: this.screens.filter((e) => e.pluginId === pluginId).map((e) => e.screen.id),
      mailTransports: this.transports.filter((e) => e.pluginId === pluginId).map((e) => e.transport.id),
    };
  }

  private add<T extends { readonly pluginId: string }>(list: T[], entry: T, id: string): Disposable {
    if (this.ids.has(entry) || list.some((e) => e.pluginId === entry.pluginId && this.ids.get(e) === id)) {
      throw new PluginError('ERR_CONFLICT', `${id} is already registered`, { id });
    }
    this.ids.set(entry, id);
    list.push(entry);
    return {
      dispose: () => {
        const index = list.indexOf(entry);
        if (index >= 0) list.splice(index, 1);
      },
    };
  }
}
