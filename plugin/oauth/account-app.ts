/** Looking up a mail account and the app registration it gets its tokens from. */
import { PluginError } from '../errors';
import type { AccountRepository, MailAccount } from '../ports/account-repository';
import type { AppRegistration, AppRepository } from '../ports/app-repository';

/** @throws PluginError ERR_NOT_FOUND when there is no such account */
export async function findAccount(accounts: AccountRepository, accountId: string): Promise<MailAccount> {
  const account = await accounts.find(accountId);
  if (!account) throw new PluginError('ERR_NOT_FOUND', `Mail account ${accountId} does not exist.`, { accountId });
  return account;
}

/** @throws PluginError ERR_NOT_FOUND when the account's app registration is gone */
export async function appOfAccount(apps: AppRepository, account: MailAccount): Promise<AppRegistration> {
  const app = await apps.find(account.appId);
  if (!app)
    throw new PluginError('ERR_NOT_FOUND', `The app registration of mailbox ${account.mailbox} does not exist.`, {
      accountId: account.id,
      appId: account.appId,
    });
  return app;
}

/** The account and its app registration. @throws PluginError ERR_NOT_FOUND */
export async function findAccountWithApp(
  accounts: AccountRepository,
  apps: AppRepository,
  accountId: string,
): Promise<{ account: MailAccount; app: AppRegistration }> {
  const account = await findAccount(accounts, accountId);
  return { account, app: await appOfAccount(apps, account) };
}
