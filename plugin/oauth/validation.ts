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

/** What {@link parseEveryField} read. */
export interface EveryFieldParse<T> {
  /** The parsed fields; a field zod refused is left out (undefined although its type may say otherwise). */
  readonly data: T | null;
  /** Zod's issues (empty when everything parsed). */
  readonly issues: readonly z.core.$ZodIssue[];
}

/**
 * Parses an object schema so that one bad field does not hide the others' problems: when some fields fail, the
 * remaining ones are parsed alone, and the caller runs its own checks on them before reporting everything at once.
 * @param schema - the fields
 * @param raw - the input
 * @returns data null when even the remaining fields cannot be read
 */
export function parseEveryField<S extends z.ZodObject>(schema: S, raw: unknown): EveryFieldParse<z.output<S>> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { data: parsed.data, issues: [] };
  const failed = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')));
  const rest = Object.fromEntries(
    Object.entries((raw ?? {}) as Record<string, unknown>).filter(([field]) => !failed.has(field)),
  );
  const partial = schema.partial().safeParse(rest);
  return { data: partial.success ? (partial.data as z.output<S>) : null, issues: parsed.error.issues };
}

/**
 * Every problem of an input at once: zod's, then the caller's own checks of the fields zod accepted.
 * @returns the issues to report (a field zod refused gets no second message from a later check)
 */
export function allIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  checks: readonly z.core.$ZodIssue[],
): z.core.$ZodIssue[] {
  const failed = new Set(zodIssues.map((issue) => String(issue.path[0] ?? '')));
  return [...zodIssues, ...checks.filter((issue) => !failed.has(String(issue.path[0] ?? '')))];
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
