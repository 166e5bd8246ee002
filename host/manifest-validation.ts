/**
 * The checks the plugin manager runs on a plugin.json before executing any plugin code. Every problem is
 * collected, not only the first, so an author fixes a manifest in one round.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import semver from 'semver';
import { PluginManifest, tablePrefix } from '../plugin/index';

/** What the host knows when it checks a manifest. */
export interface ManifestContext {
  /** The plugin's folder (where plugin.json is). */
  readonly pluginDir: string;
  /** The host API version the host implements (`HOST_API_VERSION`). */
  readonly hostApiVersion: string;
  /** `process.versions.node`. */
  readonly nodeVersion: string;
  /** The host's permission vocabulary. */
  readonly knownPermissions: readonly string[];
}

/** Outcome of {@link validateManifest}: `manifest` is set only when `problems` is empty. */
export interface ManifestValidation {
  readonly manifest?: PluginManifest;
  readonly problems: string[];
}

/**
 * Checks a plugin.json text: JSON syntax, schema, semver, engine ranges, entry point and migrations
 * folder inside the plugin folder, permissions, contribution ids.
 * @param json - the file's text
 * @param ctx - what the host knows
 * @returns the parsed manifest, or every problem found
 */
export function validateManifest(json: string, ctx: ManifestContext): ManifestValidation {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    return { problems: [`plugin.json is not valid JSON: ${describeJsonError(json, error)}`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problems: ['plugin.json must hold a JSON object'] };

  const problems: string[] = [];
  const parsed = PluginManifest.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  }
  // The checks below run on the raw object too, so a schema error elsewhere does not hide them.
  const record = raw as Record<string, unknown>;
  checkVersion(record, problems);
  checkEngines(record, ctx, problems);
  checkMain(record, ctx, problems);
  checkPermissions(record, ctx, problems);
  checkMigrations(record, ctx, problems);
  checkContributions(record, problems);

  return problems.length === 0 && parsed.success ? { manifest: parsed.data, problems } : { problems };
}

function describeJsonError(json: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  if (!position) return message;
  const offset = Number(position[1]);
  const before = json.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function checkVersion(record: Record<string, unknown>, problems: string[]): void {
  if (typeof record.version === 'string' && record.version.length > 0 && semver.valid(record.version) === null) {
    problems.push(`version: "${record.version}" is not a semver version (e.g. 1.2.3)`);
  }
}

function checkEngines(record: Record<string, unknown>, ctx: ManifestContext, problems: string[]): void {
  const engines = asObject(record.engines);
  if (!engines) return;
  const host = engines.host;
  if (typeof host === 'string' && host.length > 0) {
    if (semver.validRange(host) === null) {
      problems.push(`engines.host: "${host}" is not a valid semver range`);
    } else {
      const min = semver.minVersion(host);
      const pinned = min !== null && semver.subset(host, `>=${min.major}.0.0-0 <${min.major + 1}.0.0-0`);
      if (!pinned) {
        const example = `^${semver.major(ctx.hostApiVersion)}.0.0`;
        problems.push(`engines.host: "${host}" is not specific enough: pin a major version, e.g. "${example}"`);
      }
      if (!semver.satisfies(ctx.hostApiVersion, host))
        problems.push(
          `engines.host: the plugin needs host API "${host}" but this host implements ${ctx.hostApiVersion}`,
        );
    }
  }
  const node = engines.node;
  if (typeof node === 'string' && node.length > 0) {
    if (semver.validRange(node) === null) problems.push(`engines.node: "${node}" is not a valid semver range`);
    else if (!semver.satisfies(ctx.nodeVersion, node))
      problems.push(`engines.node: the plugin needs Node.js "${node}" but this is ${ctx.nodeVersion}`);
  }
}

/** Resolves `target` inside `dir`; undefined when it escapes (`..`, absolute path, or a symlink pointing out). */
function insideFolder(dir: string, target: string): string | undefined {
  const root = resolve(dir);
  const full = resolve(root, target);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel) || isAbsolute(target)) return undefined;
  if (existsSync(full)) {
    const realRel = relative(realpathSync(root), realpathSync(full));
    if (realRel.startsWith('..') || isAbsolute(realRel)) return undefined;
  }
  return full;
}

function checkMain(record: Record<string, unknown>, ctx: ManifestContext, problems: string[]): void {
  const main = record.main;
  if (typeof main !== 'string' || main.length === 0) return;
  const full = insideFolder(ctx.pluginDir, main);
  if (full === undefined) problems.push(`main: "${main}" resolves outside the plugin folder`);
  else if (!existsSync(full) || !statSync(full).isFile())
    problems.push(`main: "${main}" does not exist in the plugin folder (build the plugin first)`);
}

function checkPermissions(record: Record<string, unknown>, ctx: ManifestContext, problems: string[]): void {
  if (!Array.isArray(record.permissions)) return;
  const seen = new Set<string>();
  for (const permission of record.permissions) {
    if (typeof permission !== 'string') continue;
    if (!ctx.knownPermissions.includes(permission))
      problems.push(`permissions: unknown permission "${permission}" (known: ${ctx.knownPermissions.join(', ')})`);
    if (seen.has(permission)) problems.push(`permissions: "${permission}" is listed twice`);
    seen.add(permission);
  }
}

function checkMigrations(record: Record<string, unknown>, ctx: ManifestContext, problems: string[]): void {
  const migrations = asObject(record.migrations);
  if (!migrations) return;
  const directory = migrations.directory;
  if (typeof directory === 'string' && directory.length > 0) {
    const full = insideFolder(ctx.pluginDir, directory);
    if (full === undefined) problems.push(`migrations.directory: "${directory}" resolves outside the plugin folder`);
    else if (!existsSync(full) || !statSync(full).isDirectory())
      problems.push(
        `migrations.directory: "${directory}" does not exist in the plugin folder (build the plugin first)`,
      );
  }
  const tableName = migrations.tableName;
  if (typeof record.id === 'string' && typeof tableName === 'string' && !tableName.startsWith(tablePrefix(record.id))) {
    problems.push(`migrations.tableName: "${tableName}" must start with "${tablePrefix(record.id)}"`);
  }
}

function checkContributions(record: Record<string, unknown>, problems: string[]): void {
  const contributes = asObject(record.contributes);
  if (!contributes || typeof record.id !== 'string') return;
  const prefix = `${record.id}.`;
  for (const [kind, list] of Object.entries(contributes)) {
    if (!Array.isArray(list)) continue;
    const ids = new Set<string>();
    list.forEach((item, index) => {
      const id = asObject(item)?.id;
      if (typeof id !== 'string') return;
      if (!id.startsWith(prefix) || id.length === prefix.length)
        problems.push(`contributes.${kind}[${index}].id: "${id}" must start with "${prefix}"`);
      if (ids.has(id)) problems.push(`contributes.${kind}[${index}].id: "${id}" is declared twice`);
      ids.add(id);
    });
  }
  const routes = Array.isArray(contributes.routes) ? contributes.routes.map(asObject) : [];
  const endpoints = new Set<string>();
  routes.forEach((route, index) => {
    if (!route || typeof route.method !== 'string' || typeof route.path !== 'string') return;
    const key = `${route.method} ${route.path}`;
    if (endpoints.has(key)) problems.push(`contributes.routes[${index}]: ${key} is declared twice`);
    endpoints.add(key);
  });
  if (Array.isArray(contributes.adminScreens)) {
    contributes.adminScreens.forEach((screen, index) => {
      const path = asObject(screen)?.path;
      if (typeof path !== 'string') return;
      const target = routes.find((route) => route?.method === 'GET' && route.path === path);
      if (!target) problems.push(`contributes.adminScreens[${index}].path: "${path}" is not a declared GET route`);
      else if (target.auth !== 'admin')
        problems.push(`contributes.adminScreens[${index}].path: the route "${path}" must have auth "admin"`);
    });
  }
}
