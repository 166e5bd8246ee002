/** `plugin install <dir>`, `plugin list` and `plugin config <id>`. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PluginError } from '../../../plugin/index';
import { PERMISSIONS } from '../../../plugin/index';
import type { InstalledPlugin } from '../../plugin-manager';
import { parseConfigAssignment, withConfigValue } from '../../plugin-config';
import type { CliContext } from '../context';

function describePermission(permission: string): string {
  return (PERMISSIONS as Record<string, string>)[permission] ?? '';
}

function readConfig(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PluginError(
      'ERR_INPUT_INVALID',
      `The config file ${file} is not readable JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PluginError('ERR_INPUT_INVALID', `The config file ${file} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

function row(plugin: InstalledPlugin): string {
  const state = plugin.lastError
    ? `error: ${plugin.lastError.replace(/\n/g, '; ')}`
    : plugin.enabled
      ? 'enabled'
      : 'disabled';
  return `${plugin.id}\t${plugin.version}\t${state}\t${plugin.directory}`;
}

/**
 * Registers the `plugin` command group.
 * @param program - the root command
 * @param context - shared helpers
 */
export function register(program: Command, context: CliContext): void {
  const plugin = program.command('plugin').description('Install and list helpdesk plugins');

  plugin
    .command('install')
    .description(
      'Validate a plugin folder (plugin.json), grant the permissions it declares, ' +
        'run its migrations and check that it activates',
    )
    .argument('<dir>', 'the plugin folder (holding plugin.json)')
    .option('--config <file>', 'JSON file with the plugin configuration')
    .action(async (dir: string, options: { config?: string }) => {
      const config = options.config !== undefined ? readConfig(options.config) : undefined;
      const installed = await context.withHost((host) =>
        host.plugins.install(dir, config !== undefined ? { config } : {}),
      );
      context.output(installed, [
        `Installed ${installed.id} ${installed.version} from ${installed.directory}`,
        'Granted permissions:',
        ...installed.permissions.map((p) => `  - ${p}: ${describePermission(p)}`),
        'It is activated by `start`.',
      ]);
    });

  plugin
    .command('config')
    .description(
      "Set an installed plugin's configuration, " +
        'validated against its plugin.json config.schema (defaults filled in at activate)',
    )
    .argument('<id>', 'the plugin id')
    .option('--file <file>', 'JSON file with the whole configuration (replaces the stored one)')
    .option(
      '--set <key.path=value>',
      'set one value (JSON, else a string); repeatable, applied after --file',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (id: string, options: { file?: string; set?: string[] }) => {
      const assignments = (options.set ?? []).map(parseConfigAssignment);
      if (options.file === undefined && assignments.length === 0)
        throw new PluginError('ERR_INPUT_INVALID', 'Give --file <file> and/or --set key.path=value');
      const saved = await context.withHost(async (host) => {
        let config = options.file !== undefined ? readConfig(options.file) : await host.plugins.storedConfig(id);
        for (const { path, value } of assignments) config = withConfigValue(config, path, value);
        return host.plugins.setConfig(id, config);
      });
      // Only the keys changed are echoed: a config may hold values that are not for the terminal.
      const set = assignments.map((a) => a.path.join('.'));
      const from = options.file !== undefined ? ` from ${options.file}` : '';
      const changed = set.length > 0 ? ` (set: ${set.join(', ')})` : '';
      context.output({ id: saved.id, file: options.file ?? null, set }, [
        `Saved the configuration of ${saved.id}${from}${changed}.`,
        'A running host applies it at its next start.',
      ]);
    });

  plugin
    .command('list')
    .description('List installed plugins')
    .action(async () => {
      const plugins = await context.withHost((host) => host.plugins.list());
      context.output(
        plugins,
        plugins.length === 0 ? 'No plugin installed.' : ['id\tversion\tstate\tfolder', ...plugins.map(row)],
      );
    });
}
