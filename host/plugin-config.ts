/**
 * A plugin's stored configuration checked against plugin.json `config.schema` (docs/architecture.md,
 * "Plugin manager checks", item 7): the schema must compile (a manifest problem otherwise), and the stored config is
 * defaulted, then validated, before `activate`. JSON Schema draft 2020-12, what `z.toJSONSchema` emits.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { PluginError } from '../plugin/index';

/** A compiled `config.schema`, or the problems that kept it from compiling. */
export type CompiledConfigSchema =
  | { readonly validate: ValidateFunction; readonly problems?: undefined }
  | { readonly validate?: undefined; readonly problems: string[] };

function newAjv(): Ajv2020 {
  // allErrors: an admin fixes every problem in one round; strict: an unknown keyword or format is a schema error, not silently ignored.
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, validateSchema: true });
  // The standard formats (uri, email, date-time …) are known, so a plugin may use them; any other format stays an error.
  addFormats(ajv);
  return ajv;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compiles a plugin's `config.schema`. A schema that is not valid JSON Schema, or that uses a keyword or
 * format this host does not know, yields problems phrased as manifest problems (`config.schema: …`).
 * @param schema - plugin.json `config.schema`
 */
export function compileConfigSchema(schema: Readonly<Record<string, unknown>>): CompiledConfigSchema {
  const ajv = newAjv();
  try {
    if (!ajv.validateSchema(schema))
      return {
        problems: (ajv.errors ?? []).map(
          (e) => `config.schema${e.instancePath.replace(/\//g, '.')}: ${e.message ?? 'is not valid JSON Schema'}`,
        ),
      };
    return { validate: ajv.compile(schema) };
  } catch (error) {
    return { problems: [`config.schema: does not compile: ${messageOf(error)}`] };
  }
}

/** One validation error as "path: message", the path dotted from the config root (`fetch.batchSize`). */
function describe(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties')
    segments.push(String((error.params as { additionalProperty: string }).additionalProperty));
  if (error.keyword === 'required')
    segments.push(String((error.params as { missingProperty: string }).missingProperty));
  const path = segments.length > 0 ? segments.join('.') : '(root)';
  const message =
    error.keyword === 'additionalProperties'
      ? 'is not a known setting'
      : error.keyword === 'required'
        ? 'is required'
        : (error.message ?? 'is not valid');
  return `${path}: ${message}`;
}

/**
 * Defaults and validates a stored configuration. The input is not changed; the defaulted copy is returned.
 * @param pluginId - for the message
 * @param validate - the compiled `config.schema`
 * @param stored - the stored configuration
 * @returns the configuration with the schema's defaults filled in
 * @throws PluginError ERR_INPUT_INVALID naming each problem (path + message), details `problems`
 */
export function applyConfigSchema(
  pluginId: string,
  validate: ValidateFunction,
  stored: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const config = structuredClone(stored) as Record<string, unknown>;
  if (validate(config)) return config;
  const problems = [...new Set((validate.errors ?? []).map(describe))];
  throw new PluginError(
    'ERR_INPUT_INVALID',
    `The configuration of plugin ${pluginId} is not valid:\n - ${problems.join('\n - ')}`,
    { problems },
  );
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Parses one `--set key.path=value` assignment: the value is read as JSON when it parses (`100`, `true`,
 * `{"a":1}`, `"text"`), else taken as a plain string.
 * @param assignment - `key.path=value`
 * @returns the path segments and the value
 * @throws PluginError ERR_INPUT_INVALID when there is no `=`, or the path has an empty or forbidden segment
 */
export function parseConfigAssignment(assignment: string): { readonly path: string[]; readonly value: unknown } {
  const at = assignment.indexOf('=');
  const path = at < 0 ? [] : assignment.slice(0, at).split('.');
  if (at < 0 || path.some((s) => s.length === 0 || FORBIDDEN_KEYS.has(s))) {
    throw new PluginError(
      'ERR_INPUT_INVALID',
      `"${assignment}" is not a setting: write key.path=value, e.g. fetch.batchSize=100`,
    );
  }
  const text = assignment.slice(at + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  return { path, value };
}

/**
 * A copy of `config` with `value` at `path`, creating the objects on the way (an existing non-object on the way is replaced).
 * @param config - the configuration (not changed)
 * @param path - segments from {@link parseConfigAssignment}
 * @param value - the new value
 */
export function withConfigValue(
  config: Readonly<Record<string, unknown>>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  let node = copy;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    node = node[segment] =
      typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  node[path[path.length - 1]] = value;
  return copy;
}
