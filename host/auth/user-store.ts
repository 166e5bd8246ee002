/** Helpdesk users (`host_users`): admins and agents who sign in to the web UI. */
import type { Knex } from 'knex';
import { PluginError } from '../../plugin/index';
import { isUniqueViolation, toMillis } from '../db-errors';
import { insertReturningId } from '../../lib/sql/insert-returning-id';
import { hashPassword, verifyPassword } from './passwords';

/** A user's role: admins manage plugins and mail accounts; agents work tickets. */
export type Role = 'admin' | 'agent';

/** A helpdesk user (never with the password hash). */
export interface HostUser {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly createdAt: number;
}

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password accepted (and checked at sign-in). */
export const MAX_PASSWORD_LENGTH = 1024;
/** Longest e-mail address (the column's width). */
export const MAX_EMAIL_LENGTH = 320;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function toUser(row: Record<string, unknown>): HostUser {
  return {
    id: String(row.id),
    email: String(row.email),
    role: row.role === 'admin' ? 'admin' : 'agent',
    createdAt: toMillis(row.created_at),
  };
}

/** `host_users`. */
export class UserStore {
  /**
   * @param knex - the host database
   * @param now - clock, epoch ms
   */
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Adds a user.
   * @throws PluginError ERR_INPUT_INVALID for a bad email, role, a short password or an email already taken
   */
  async create(input: { readonly email: string; readonly role: Role; readonly password: string }): Promise<HostUser> {
    const email = input.email.trim().toLowerCase();
    const problems: string[] = [];
    if (!EMAIL.test(email) || email.length > MAX_EMAIL_LENGTH)
      problems.push(`email must look like name@domain (at most ${MAX_EMAIL_LENGTH} characters)`);
    if (input.role !== 'admin' && input.role !== 'agent') problems.push('role must be admin or agent');
    if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH)
      problems.push(`password must have at least ${MIN_PASSWORD_LENGTH} and at most ${MAX_PASSWORD_LENGTH} characters`);
    if (problems.length > 0)
      throw new PluginError('ERR_INPUT_INVALID', `Cannot add user: ${problems.join('; ')}`, { fields: problems });
    const createdAt = this.now();
    try {
      const id = await insertReturningId(this.knex, 'host_users', {
        email,
        role: input.role,
        password_hash: await hashPassword(input.password),
        created_at: createdAt,
      });
      return { id: String(id), email, role: input.role, createdAt };
    } catch (error) {
      if (isUniqueViolation(error))
        throw new PluginError('ERR_INPUT_INVALID', `Cannot add user: ${email} already exists`);
      throw error;
    }
  }

  /** The user whose email and password match, or null (same answer for unknown email and wrong password). */
  async authenticate(email: string, password: string): Promise<HostUser | null> {
    const row: Record<string, unknown> | undefined = await this.knex('host_users')
      .where({ email: email.trim().toLowerCase() })
      .first();
    // Checked even for an unknown email (the same derivation), so the answer time does not tell which emails exist.
    const ok = await verifyPassword(password, typeof row?.password_hash === 'string' ? row.password_hash : undefined);
    return row && ok ? toUser(row) : null;
  }

  async find(id: string): Promise<HostUser | null> {
    const row: Record<string, unknown> | undefined = await this.knex('host_users')
      .where({ id: Number(id) })
      .first();
    return row ? toUser(row) : null;
  }

  async findByEmail(email: string): Promise<HostUser | null> {
    const row: Record<string, unknown> | undefined = await this.knex('host_users')
      .where({ email: email.trim().toLowerCase() })
      .first();
    return row ? toUser(row) : null;
  }

  async list(): Promise<HostUser[]> {
    const rows: Record<string, unknown>[] = await this.knex('host_users').orderBy('id');
    return rows.map(toUser);
  }

  /**
   * Sets a user's password and ends their sessions (whoever signed in with the old one is signed out).
   * @throws PluginError ERR_NOT_FOUND for an unknown email | ERR_INPUT_INVALID for a password of the wrong length
   */
  async setPassword(email: string, password: string): Promise<HostUser> {
    const user = await this.findByEmail(email);
    if (!user) throw new PluginError('ERR_NOT_FOUND', `There is no user ${email.trim().toLowerCase()}.`);
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
      throw new PluginError(
        'ERR_INPUT_INVALID',
        `Cannot set the password: it must have at least ${MIN_PASSWORD_LENGTH} and at most ` +
          `${MAX_PASSWORD_LENGTH} characters`,
        { fields: ['password'] },
      );
    const passwordHash = await hashPassword(password);
    await this.knex.transaction(async (trx) => {
      await trx('host_users')
        .where({ id: Number(user.id) })
        .update({ password_hash: passwordHash });
      await trx('host_sessions')
        .where({ user_id: Number(user.id) })
        .delete();
    });
    return user;
  }

  async count(): Promise<number> {
    const row: { n?: number | string } | undefined = await this.knex('host_users').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }
}
