/**
 * Web sessions (`host_sessions`). The browser holds a random token in the `sid` cookie; the table
 * holds only its sha256, plus the session's CSRF token.
 */
import type { Knex } from 'knex';
import { toMillis } from '../db-errors';
import { randomToken, sha256Hex } from './tokens';
import type { HostUser, UserStore } from './user-store';

/** How long a session lives. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** A live session. */
export interface Session {
  readonly user: HostUser;
  readonly csrfToken: string;
  readonly expiresAt: number;
  /** Words for the next page only (see {@link SessionStore.clearNotice}), or null. */
  readonly notice: string | null;
}

/** `host_sessions`. */
export class SessionStore {
  /**
   * @param knex - the host database
   * @param users - to resolve the session's user
   * @param now - clock, epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly users: UserStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Opens a session; returns the cookie value (shown to the browser only).
   * @param userId - who signed in
   * @param notice - words for the session's first page, e.g. failed sign-ins since the previous one
   */
  async create(userId: string, notice?: string): Promise<{ readonly token: string; readonly csrfToken: string }> {
    const token = randomToken();
    const csrfToken = randomToken();
    const at = this.now();
    await this.knex('host_sessions').insert({
      id: sha256Hex(token),
      user_id: Number(userId),
      csrf_token: csrfToken,
      created_at: at,
      expires_at: at + SESSION_TTL_MS,
      notice: notice ?? null,
    });
    return { token, csrfToken };
  }

  /** The live session of a cookie value, or null. */
  async find(token: string | undefined): Promise<Session | null> {
    if (!token) return null;
    const row: Record<string, unknown> | undefined = await this.knex('host_sessions')
      .where({ id: sha256Hex(token) })
      .first();
    if (!row || toMillis(row.expires_at) <= this.now()) return null;
    const user = await this.users.find(String(row.user_id));
    if (!user) return null;
    const notice = typeof row.notice === 'string' ? row.notice : null;
    return { user, csrfToken: String(row.csrf_token), expiresAt: toMillis(row.expires_at), notice };
  }

  /** Forgets a session's notice once a page showed it. */
  async clearNotice(token: string | undefined): Promise<void> {
    if (token)
      await this.knex('host_sessions')
        .where({ id: sha256Hex(token) })
        .update({ notice: null });
  }

  /** Ends a session. */
  async destroy(token: string | undefined): Promise<void> {
    if (token)
      await this.knex('host_sessions')
        .where({ id: sha256Hex(token) })
        .delete();
  }

  /** Deletes expired sessions; returns how many. */
  async purgeExpired(): Promise<number> {
    return this.knex('host_sessions').where('expires_at', '<=', this.now()).delete();
  }
}
