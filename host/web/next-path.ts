/** Where the sign-in form may send the browser afterwards: `?next=` of GET /login and the form's `next` field. */

/**
 * A local path to go to after sign-in, never another site.
 * @param value - the submitted `next`
 * @param _origin - the helpdesk's own origin
 */
export function safeNext(value: unknown, _origin: string): string | undefined {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
    ? value
    : undefined;
}
