/** A person who can sign in at the test OAuth server, and whose mailbox Dovecot serves. */
export interface TestUser {
  /** What is typed into the login form; also `sub` and `preferred_username` (the UPN). */
  login: string;
  /** The mailbox address: the access token's `email` claim, which Dovecot matches with the SASL user. */
  email: string;
  /** `null`: cannot sign in. */
  password: string | null;
  name: string;
  /** `email` claim of the ID token / userinfo; defaults to `email`; `null` leaves the claim out. */
  idTokenEmail?: string | null;
  /** One other mailbox this user's token also opens in Dovecot (a delegate of a shared mailbox). */
  delegateOf?: string;
}

/** shared@example.test: a mailbox Dovecot serves that nobody signs in as. */
export const SHARED_MAILBOX = 'shared@example.test';

/**
 * alice@example.test; bob@example.test (delegate of SHARED_MAILBOX); carol (login carol@corp.example.test,
 * mailbox and email claim carol@example.test). Passwords `<name>-password`.
 */
export const DEFAULT_USERS: readonly TestUser[] = Object.freeze([
  Object.freeze({
    login: 'alice@example.test',
    email: 'alice@example.test',
    password: 'alice-password',
    name: 'Alice Example',
  }),
  // Delegate of the shared mailbox: his token also opens it.
  Object.freeze({
    login: 'bob@example.test',
    email: 'bob@example.test',
    password: 'bob-password',
    name: 'Bob Example',
    delegateOf: SHARED_MAILBOX,
  }),
  // Hybrid identity: signs in with her UPN, her mailbox (and email claim) is another address.
  Object.freeze({
    login: 'carol@corp.example.test',
    email: 'carol@example.test',
    password: 'carol-password',
    name: 'Carol Hybrid',
  }),
]);

/**
 * The users as both servers expect them: addresses lower-cased, a missing password `null`, a missing name the
 * login. Checked at run time too, since the list may come from JavaScript or JSON.
 */
export function normalizeUsers(users: readonly TestUser[]): TestUser[] {
  return users.map((u: Partial<TestUser> | null | undefined) => {
    if (!u || typeof u.login !== 'string' || typeof u.email !== 'string')
      throw new Error('each test user needs a login and an email');
    return {
      login: u.login,
      email: u.email.toLowerCase(),
      password: u.password ?? null,
      name: u.name ?? u.login,
      ...(u.idTokenEmail !== undefined ? { idTokenEmail: u.idTokenEmail } : {}),
      ...(u.delegateOf ? { delegateOf: u.delegateOf.toLowerCase() } : {}),
    };
  });
}

/** The users whose login or mailbox address is `loginOrEmail` (case-insensitive). */
export function usersMatching(users: Iterable<TestUser>, loginOrEmail: string): TestUser[] {
  const wanted = String(loginOrEmail).toLowerCase();
  return [...users].filter((u) => u.login.toLowerCase() === wanted || u.email.toLowerCase() === wanted);
}
