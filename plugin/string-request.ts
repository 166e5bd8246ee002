/**
 * A request as the host contract types it (plugin/ports/host.ts `HostRequest`): params, query and form hold strings
 * only. The reference host guarantees it; a host that hands over something else (a number, a list or an object from
 * a JSON body) must not make a route throw a TypeError, so every route reads the request through this.
 */
import type { HostRequest, RouteDefinition } from './ports/host';

/**
 * The string fields of `record`: strings as they are, numbers and booleans as their text, of a list its first
 * item (as the reference host reads a repeated key); anything else is left out.
 * @param record - params, query or form as the host passed them
 */
export function stringFields(record: unknown): Record<string, string> {
  if (typeof record !== 'object' || record === null) return {};
  const fields: [string, string][] = [];
  for (const [key, raw] of Object.entries(record)) {
    const value: unknown = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === 'string') fields.push([key, value]);
    else if (typeof value === 'number' || typeof value === 'boolean') fields.push([key, String(value)]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain field.
  return Object.fromEntries(fields);
}

/** `request` with string-only params, query and form. */
export function stringRequest(request: HostRequest): HostRequest {
  return {
    ...request,
    params: stringFields(request.params),
    query: stringFields(request.query),
    form: stringFields(request.form),
  };
}

/** `route` reading every request through {@link stringRequest}. */
export function withStringRequest(route: RouteDefinition): RouteDefinition {
  return { ...route, handle: (request) => route.handle(stringRequest(request)) };
}
