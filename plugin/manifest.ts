/**
 * plugin.json as the host contract defines it: its zod schema (the schema is the type) and the permission
 * vocabulary of host API 1.x. Pure data: the checks a plugin manager runs on a plugin folder live in the host.
 */
import { z } from 'zod';

/** The permission vocabulary of host API 1.x; a manifest asking for anything else is refused. */
export const PERMISSIONS = {
  'database:own-tables': 'Create and use its own tables in the helpdesk database',
  'secrets:seal': "Encrypt and decrypt values with the helpdesk's key",
  'http:routes': 'Serve pages and a callback URL under its own path',
  'admin:screens': 'Add screens to the admin menu',
  'mail:ingest': 'Create tickets from fetched mail',
  'mail:send': 'Send replies through its mail accounts',
  'scheduler:tasks': 'Run periodic tasks',
  notifications: 'Show notifications to administrators',
  'network:outbound': 'Connect to OAuth2 providers and mail servers',
} as const;

/** One permission of {@link PERMISSIONS}. */
export type Permission = keyof typeof PERMISSIONS;

/** Every permission name of {@link PERMISSIONS}. */
export const KNOWN_PERMISSIONS: readonly Permission[] = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

const PLUGIN_ID = /^[a-z][a-z0-9-]{1,62}$/;
const ROUTE_PATH = /^\/[A-Za-z0-9._~:/-]*$/;

const ContributionId = z.string().min(1);

/** A screen in the host's admin menu. */
const AdminScreenContribution = z
  .object({ id: ContributionId, title: z.string().min(1), path: z.string().regex(ROUTE_PATH, 'must start with "/"') })
  .strict();
/** An HTTP route under the plugin's mount point. */
const RouteContribution = z
  .object({
    id: ContributionId,
    method: z.enum(['GET', 'POST']),
    path: z.string().regex(ROUTE_PATH, 'must start with "/" and hold only URL path characters'),
    auth: z.enum(['admin', 'none', 'monitoring']),
  })
  .strict();
/** A periodic task. */
const ScheduledTaskContribution = z
  .object({ id: ContributionId, defaultIntervalSeconds: z.number().int().min(1) })
  .strict();
/** A source of inbound mail (`InboundMessage.sourceId`). */
const MailSourceContribution = z.object({ id: ContributionId, title: z.string().min(1) }).strict();
/** A way to send replies. */
const MailTransportContribution = z.object({ id: ContributionId, title: z.string().min(1) }).strict();

/** The zod schema of plugin.json. Unknown keys are errors (`additionalProperties: false`, as in Grafana's schema). */
export const PluginManifest = z
  .object({
    $schema: z.string().optional().describe('Path or URL of plugin.schema.json, for editors.'),
    manifestVersion: z.literal(1).describe('Version of this manifest format.'),
    id: z
      .string()
      .regex(PLUGIN_ID, `must match ${PLUGIN_ID.source}`)
      .describe('Unique plugin id; prefixes every contribution id.'),
    name: z.string().min(1),
    version: z.string().min(1).describe('Strict semver.'),
    description: z.string().optional(),
    license: z.string().optional(),
    engines: z
      .object({
        host: z.string().min(1).describe('Semver range of the host API, with a pinned major (e.g. ^1.0.0).'),
        node: z.string().min(1).optional().describe('Semver range of Node.js.'),
      })
      .strict(),
    main: z.string().min(1).describe('Entry module, relative to the plugin folder; exports activate and deactivate.'),
    permissions: z.array(z.string()).default([]).describe('Host services the plugin asks for; the admin grants them.'),
    config: z
      .object({ schema: z.record(z.string(), z.unknown()).describe('JSON Schema of the plugin configuration.') })
      .strict()
      .optional(),
    migrations: z
      .object({
        directory: z.string().min(1).describe('Folder of compiled migrations, relative to the plugin folder.'),
        tableName: z
          .string()
          .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case')
          .describe("The plugin's own knex migrations table."),
      })
      .strict()
      .optional(),
    contributes: z
      .object({
        adminScreens: z.array(AdminScreenContribution).default([]),
        routes: z.array(RouteContribution).default([]),
        scheduledTasks: z.array(ScheduledTaskContribution).default([]),
        mailSources: z.array(MailSourceContribution).default([]),
        mailTransports: z.array(MailTransportContribution).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A parsed, defaulted plugin.json. */
export type PluginManifest = z.infer<typeof PluginManifest>;

/** Kinds of contribution under `contributes`. */
export type ContributionKind = keyof PluginManifest['contributes'];

/**
 * The JSON Schema of plugin.json (written to plugin.schema.json for editors).
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PluginManifest, { io: 'input' }) as Record<string, unknown>;
}

/** The snake_case form of a plugin id, the prefix of its tables (`oauth2-mail` -> `oauth2_mail_`). */
export function tablePrefix(pluginId: string): string {
  return `${pluginId.replace(/-/g, '_')}_`;
}
