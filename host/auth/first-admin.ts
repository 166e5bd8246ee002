/**
 * The first administrator: from OAUTH2_MAIL_ADMIN_EMAIL + OAUTH2_MAIL_ADMIN_PASSWORD, else (when no
 * user exists at all) admin@localhost with a generated password that is shown once to whoever
 * started the host, through `announce`, never through the logger.
 */
import { randomToken } from './tokens';
import type { UserStore } from './user-store';

/** What {@link ensureFirstAdmin} did. */
export type FirstAdminOutcome =
  { readonly created: false } | { readonly created: true; readonly email: string; readonly generated: boolean };

/**
 * Makes sure an admin can sign in.
 * @param users - the user store
 * @param env - process environment
 * @param announce - prints one line to the operator's console (not the log)
 */
export async function ensureFirstAdmin(
  users: UserStore,
  env: Readonly<Record<string, string | undefined>>,
  announce: (line: string) => void,
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
  announce(`First administrator created: ${user.email} / password: ${generated}  (shown only this once; store it now)`);
  return { created: true, email: user.email, generated: true };
}
