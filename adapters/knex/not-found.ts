/** The words of ERR_NOT_FOUND shared by the knex repositories: one id that names no row reads the same everywhere. */

/** @returns the message for a mail account id that names no row */
export function accountNotFoundMessage(accountId: string): string {
  return `Mail account ${accountId} does not exist.`;
}

/** @returns the message for an app registration id that names no row */
export function appNotFoundMessage(appId: string): string {
  return `App registration ${appId} does not exist.`;
}
