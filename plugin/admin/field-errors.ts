/** Turns a validation error into messages per form field, so each one is shown next to its field. */
import { isPluginError } from '../errors';
import { labelledMessage } from './field-labels';

/** Messages per field name; `_form` holds those that belong to no field of the form. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

/**
 * Splits ERR_INPUT_INVALID's `details.problems` ("field: message") by field.
 * @param error - what the service threw
 * @param formFields - the names of the fields the form shows; problems of other fields go to `_form`
 * @param aliases - form field names that carry a service field (e.g. `postFetch` is entered as `postFetchAction`)
 * @returns null when `error` is not a validation error (the caller shows it another way)
 */
export function fieldErrorsOf(
  error: unknown,
  formFields: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): FieldErrors | null {
  if (!isPluginError(error) || error.code !== 'ERR_INPUT_INVALID') return null;
  const problems = Array.isArray(error.details.problems)
    ? (error.details.problems as readonly string[])
    : [error.message];
  const out: Record<string, string[]> = {};
  for (const problem of problems) {
    const split = problem.indexOf(': ');
    const serviceField = split > 0 ? problem.slice(0, split) : '(input)';
    const message = split > 0 ? problem.slice(split + 2) : problem;
    const field = aliases[serviceField] ?? serviceField;
    const key = formFields.includes(field) ? field : '_form';
    (out[key] ??= []).push(serviceField === '(input)' ? message : labelledMessage(field, message));
  }
  return out;
}
