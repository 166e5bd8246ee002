// The claims an app token (client credentials, JWT bearer) carries for Dovecot: `email` and `delegate_of` are the
// two claims its passdbs compare with the login, so they name the mailboxes the app may open.

/** Never a login: an app token without a mailbox opens nothing (a missing claim would be a temporary failure). */
export const NO_MAILBOX = 'no-mailbox@app-token.invalid';

/** Claims for an app token that opens `mailboxes` (at most two: Dovecot has two passdbs). */
export function appTokenClaims(mailboxes: readonly string[]): { email: string; delegate_of: string } {
  const [first, second] = mailboxes.map((mailbox) => mailbox.toLowerCase());
  return { email: first ?? NO_MAILBOX, delegate_of: second ?? first ?? NO_MAILBOX };
}
