/**
 * The first administrator: from OAUTH2_MAIL_ADMIN_EMAIL + OAUTH2_MAIL_ADMIN_PASSWORD, else (when no
 * user exists at all) admin@localhost with a generated password that is shown once to whoever
 * started the host, through `announce` as one framed block, never through the logger.
 */
import { randomToken } from './tokens';
import type { UserStore } from './user-store';

/**
 * The generated credentials as one block that stands apart from the JSON log lines around it.
 * @param email - the administrator's sign-in
 * @param password - the generated password
 * @param signInUrl - where to sign in
 */
export function firstAdminBlock(email: string, password: string, signInUrl: string): string {
  const rule = '='.repeat(72);
  return [
    '',
    rule,
    'First administrator created. The password is shown only this once: store it now.',
    `  Email:     ${email}`,
    `  Password:  ${password}`,
    `  Sign in:   ${signInUrl}`,
    'Set another password with:',
    `  oauth2-mail user password ${email}   (reads the new password from stdin or --password-file)`,
    rule,
    '',
  ].join('\n');
}

/** What {@link ensureFirstAdmin} did. */
export type FirstAdminOutcome =
  { readonly created: false } | { readonly created: true; readonly email: string; readonly generated: boolean };

/**
 * Makes sure an admin can sign in.
 * @param users - the user store
 * @param env - process environment
 * @param announce - prints a block of lines to the operator's console at once (not the log)
 * @param signInUrl - where the administrator signs in
 */
export async function ensureFirstAdmin(
  users: UserStore,
  env: Readonly<Record<string, string | undefined>>,
  announce: (block: string) => void,
  signInUrl = '<helpdesk URL>/login',
): Promise<FirstAdminOutcome> {
  const email = env.OAUTH2_MAIL_ADMIN_EMAIL?.trim();
  const password = env.OAUTH2_MAIL_ADMIN_PASSWORD;
  if (email && password) {
    if (await users.findByEmail(email)) return { created: false };
    const user = await users.create({ email, role: 'admin', password });
    return { created: true, email: user.email, generated: false };
  }
  if ((await users.count()) > 0) return { created: false };
  const generated = randomToken(18);
  const user = await users.create({ email: 'admin@localhost', role: 'admin', password: generated });
  announce(firstAdminBlock(user.email, generated, signInUrl));
  return { created: true, email: user.email, generated: true };
}
