/** Turning zod issues into the plugin's input error: one message naming every field, plus the fields for forms. */
import type { z } from 'zod';
import { PluginError } from '../errors';

/**
 * @param what - what was being validated ("app registration", "mail account")
 * @param issues - zod's issues
 * @returns PluginError ERR_INPUT_INVALID with `details.fields` (field names) and `details.problems` ("field: message")
 */
export function inputError(what: string, issues: readonly z.core.$ZodIssue[]): PluginError {
  const problems = issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`,
  );
  const fields = [...new Set(issues.map((issue) => (issue.path.length > 0 ? issue.path.join('.') : '(input)')))];
  return new PluginError('ERR_INPUT_INVALID', `Invalid ${what}: ${problems.join('; ')}`, { fields, problems });
}

/** Form fields arrive as strings: an empty or blank one means "not given". */
export function blankToUndefined(value: unknown): unknown {
  if (value === null) return undefined;
  if (typeof value === 'string' && value.trim().length === 0) return undefined;
  return value;
}

/** Form checkboxes and CLI flags: 'on' / 'true' / '1' / 'yes' are true, 'off' / 'false' / '0' / 'no' false. */
export function toBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(lower)) return true;
  if (['off', 'false', '0', 'no', ''].includes(lower)) return false;
  return value;
}
