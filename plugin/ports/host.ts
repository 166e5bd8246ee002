/**
 * The host contract (docs/architecture.md#host-contract): the one object a helpdesk's plugin manager builds for this
 * plugin, scoped to the plugin's id and the permissions the admin granted. The plugin never reaches for globals.
 */
import type { Knex } from 'knex';

/** Semver of this contract; a host declares which versions it implements, plugin.json `engines.host` asks for a range. */
export const HOST_API_VERSION = '1.3.0';

/** Something registered that can be taken back. */
export interface Disposable {
  /** Unregisters; calling it twice is harmless. */
  dispose(): void | Promise<void>;
}

/** Secret-free structured fields for a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logger (pino-compatible subset). The plugin never passes a token or secret in `fields`. */
export interface LoggerPort {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): LoggerPort;
}

/** The host's SQL database. */
export interface DatabasePort {
  /** The host's knex instance (SQLite, PostgreSQL or MySQL/MariaDB). Plugin tables are prefixed `oauth2_mail_`. */
  getClient(): Knex;
  /** True when the host ran the plugin's migrations itself; otherwise the plugin runs them at activation. */
  readonly migrationsRunByHost: boolean;
}

/** Encryption at rest owned by the host. A sealed value carries the key id so keys can rotate. */
export interface SecretsPort {
  /** Seals `plaintext`; the result is safe to store in a TEXT column. */
  seal(plaintext: string): Promise<string>;
  /**
   * Opens a value sealed by {@link SecretsPort.seal}.
   * @throws PluginError ERR_SECRET_UNREADABLE when the key is gone or the value was tampered with.
   */
  open(sealed: string): Promise<string>;
}

/** The signed-in person making a request. */
export interface Actor {
  readonly id: string;
  readonly name: string;
  readonly isAdmin: boolean;
}

/** An HTTP request as the plugin sees it: already parsed, already authenticated. */
export interface HostRequest {
  readonly method: 'GET' | 'POST';
  /** Path parameters from the route pattern, e.g. `{ id: '3' }` for `/accounts/:id`. */
  readonly params: Readonly<Record<string, string>>;
  /** Query string; a repeated key keeps its first value. */
  readonly query: Readonly<Record<string, string>>;
  /** Form fields (application/x-www-form-urlencoded) of a POST; a repeated key keeps its first value. */
  readonly form: Readonly<Record<string, string>>;
  /** The signed-in admin on `auth: 'admin'` routes; undefined on `auth: 'none'` routes. */
  readonly actor?: Actor;
  /** The CSRF token to put in a hidden `_csrf` field of every POST form the plugin renders. */
  readonly csrfToken?: string;
}

/** What a route handler answers. `page` is wrapped in the host's admin layout (menu, banners). */
export type HostResponse =
  | { readonly kind: 'page'; readonly status?: number; readonly title: string; readonly html: string }
  | { readonly kind: 'json'; readonly status?: number; readonly body: unknown }
  /** Plain text with its media type, e.g. the Prometheus exposition format (since 1.2.0). */
  | { readonly kind: 'text'; readonly status?: number; readonly contentType: string; readonly body: string }
  | { readonly kind: 'redirect'; readonly location: string };

/** One HTTP route of the plugin, mounted by the host under the plugin's area. */
export interface RouteDefinition {
  /** Must be declared in plugin.json `contributes.routes`, with the same method, path and auth. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Relative to the plugin's mount point, e.g. `/accounts/:id`. */
  readonly path: string;
  /**
   * `admin`: the host requires a signed-in admin and checks CSRF on POST. `none`: only for the OAuth callback.
   * `monitoring` (GET only, since 1.2.0): a signed-in admin, or `Authorization: Bearer <monitoring token>` (the
   * token the host's admin created; the host stores only its hash), for health checks and metric scrapers.
   */
  readonly auth: 'admin' | 'none' | 'monitoring';
  handle(request: HostRequest): Promise<HostResponse>;
}

/** HTTP routes of the plugin. */
export interface RoutesPort {
  /** @throws PluginError ERR_CONTRIBUTION_UNDECLARED when plugin.json does not declare the route. */
  register(route: RouteDefinition): Disposable;
  /** The absolute public URL of a plugin route path, e.g. for the OAuth redirect URI. */
  publicUrl(path: string): string;
}

/** A menu entry in the host's admin panel pointing at one of the plugin's GET routes. */
export interface AdminScreen {
  /** Must be declared in plugin.json `contributes.adminScreens`. */
  readonly id: string;
  readonly title: string;
  /** Plugin route path the menu entry opens. */
  readonly path: string;
}

/** The host's admin panel. */
export interface AdminPort {
  /** @throws PluginError ERR_CONTRIBUTION_UNDECLARED when plugin.json does not declare the screen. */
  registerScreen(screen: AdminScreen): Disposable;
}

/** A periodic task; the host may run it in several processes at once. */
export interface ScheduledTask {
  /** Must be declared in plugin.json `contributes.scheduledTasks`. */
  readonly id: string;
  /** How often the host calls `run`; the host never overlaps two runs of one task in one process. */
  readonly intervalMs: number;
  /** One cycle; `signal` aborts at shutdown. */
  run(signal: AbortSignal): Promise<void>;
  /**
   * Optional: one cycle on demand (a console command such as `poll --once`), with task-specific options,
   * returning a JSON-serialisable report. A host without on-demand runs simply never calls it.
   */
  runOnce?(signal: AbortSignal, options: Readonly<Record<string, string>>): Promise<unknown>;
}

/** The host's scheduler. */
export interface SchedulerPort {
  schedule(task: ScheduledTask): Disposable;
}

/** One raw RFC 5322 message handed to the host's mail pipeline. */
export interface InboundMessage {
  /** The mail source declared in plugin.json `contributes.mailSources`. */
  readonly sourceId: string;
  readonly accountId: string;
  /** The host's idempotency key: a second ingest with the same key returns the first result. */
  readonly dedupeKey: string;
  /** The exact bytes fetched from the server. */
  readonly raw: Buffer;
  /** INTERNALDATE from the server, or the fetch time. */
  readonly receivedAt: Date;
}

/** What the host made of an ingested message. */
export interface IngestResult {
  /** The host's id for what it created (a ticket or an article). */
  readonly ticketId: string;
  /** True when this `dedupeKey` had been ingested before and nothing new was created. */
  readonly duplicate: boolean;
}

/** A file attached to an outbound message. */
export interface OutboundAttachment {
  readonly filename: string;
  /** MIME type; guessed from the file name when absent. */
  readonly contentType?: string;
  readonly content: Buffer;
}

/**
 * One message the host wants to send through a mail account: the fields of a reply, or a complete RFC 5322
 * message in `raw` (then only `raw` and the envelope addresses are used).
 */
export interface OutboundMessage {
  /** The From address; the account's configured From address (by default its mailbox) when absent. */
  readonly from?: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  /** Envelope recipients that appear in no header. */
  readonly bcc?: readonly string[];
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly attachments?: readonly OutboundAttachment[];
  /** Message-ID of the message this one answers (with its angle brackets). */
  readonly inReplyTo?: string;
  /** The thread's Message-IDs, oldest first. */
  readonly references?: readonly string[];
  /**
   * The Message-ID to send with (angle brackets included). A host that retries keeps it the same on every attempt,
   * so a copy that left in the instant before a crash is recognisable; generated when absent.
   */
  readonly messageId?: string;
  /** A complete message, sent byte for byte; its Message-ID header is then the one reported. */
  readonly raw?: Buffer;
}

/** What the mail server said about a sent message. */
export interface SendResult {
  readonly messageId: string;
  /** The server's final answer, e.g. `250 2.0.0 OK queued as 1234`. */
  readonly response: string;
  /** Recipients the server accepted. */
  readonly accepted: readonly string[];
  /** Recipients the server refused (the message went to the others). */
  readonly rejected: readonly string[];
}

/** A mail account the transport can send through now (sending switched on). */
export interface MailSenderAccount {
  readonly accountId: string;
  /** The From address used when a message names none. */
  readonly address: string;
  /** What the host shows to pick it, e.g. the mailbox address. */
  readonly title: string;
}

/** A way out for replies: lets the host send through the plugin's mail accounts (SMTP with OAuth2). */
export interface MailTransport {
  /** Must be declared in plugin.json `contributes.mailTransports`. */
  readonly id: string;
  readonly title: string;
  /** The accounts that can send now; a host lists them where an agent picks the account a reply leaves from. */
  senders(): Promise<readonly MailSenderAccount[]>;
  /**
   * Sends one message through the mail account `accountId`.
   * @throws PluginError whose table row says whether a retry can help (`ERROR_CODES[code].retryable`), with the
   *   fix for the admin; nothing was sent when it throws, except after a dropped connection past the final dot.
   */
  send(accountId: string, message: OutboundMessage): Promise<SendResult>;
}

/** The host's mail pipeline. */
export interface MailPort {
  /**
   * Hands one message to the host (ticket / article). Idempotent on `dedupeKey`.
   * @throws any error when the host rejects the message; the plugin retries it on a later cycle.
   */
  ingest(message: InboundMessage): Promise<IngestResult>;
  /**
   * Optional (since host API 1.3.0): hands several messages at once, idempotent per message on `dedupeKey` like `ingest`;
   * the results are in the order given. All or nothing: when it throws, none of them was made, and the plugin hands
   * the same messages to `ingest` one at a time, so one rejected message is told apart from the rest.
   */
  ingestMany?(messages: readonly InboundMessage[]): Promise<IngestResult[]>;
  /** @throws PluginError ERR_CONTRIBUTION_UNDECLARED when plugin.json does not declare the transport. */
  registerTransport(transport: MailTransport): Disposable;
}

/** One admin notification. The host shows it as a banner (and may mail it); `key` deduplicates an incident. */
export interface Notification {
  /** Same key = same incident: the host keeps one open notification per key. */
  readonly key: string;
  readonly severity: 'info' | 'warning' | 'error';
  readonly title: string;
  readonly message: string;
  /** Plugin route path where the admin fixes it. */
  readonly path?: string;
}

/** Admin notifications. */
export interface NotifyPort {
  notify(notification: Notification): Promise<void>;
  /** Closes the incident `key` (the cause went away). */
  resolve(key: string): Promise<void>;
}

/** Shutdown hooks. */
export interface LifecyclePort {
  /** Called once when the host stops, before the database closes. */
  onShutdown(hook: () => void | Promise<void>): void;
}

/** Everything the host gives this plugin (docs/architecture.md#host-contract). A service whose permission was not granted throws ERR_PERMISSION_NOT_GRANTED when used. */
export interface HostPort {
  /** Semver of the contract the host implements. */
  readonly apiVersion: string;
  /** The plugin's id from plugin.json. */
  readonly pluginId: string;
  readonly logger: LoggerPort;
  readonly database: DatabasePort;
  readonly secrets: SecretsPort;
  readonly routes: RoutesPort;
  readonly admin: AdminPort;
  readonly scheduler: SchedulerPort;
  readonly mail: MailPort;
  readonly notify: NotifyPort;
  readonly lifecycle: LifecyclePort;
  /** The plugin's stored configuration, validated by the host against plugin.json `config.schema`. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** What a plugin's `main` module exports. */
export interface PluginEntry {
  /** Called once after the manifest, engine and permission checks. Registers contributions; runs migrations unless the host did. */
  activate(host: HostPort): Promise<void>;
  /** Called on disable or shutdown: disposes registrations, closes mail sessions, finishes the batch in flight. */
  deactivate(): Promise<void>;
}
