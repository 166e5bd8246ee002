/**
 * Which mail transport sends for an account: the first registered transport whose `senders()` lists it. A
 * transport that fails to list its senders is skipped (and logged), never fatal.
 */
import type { LoggerPort, MailSenderAccount, MailTransport } from '../../plugin/index';
import type { ContributionRegistry } from '../contribution-registry';

/** The way out for one account. */
export interface SenderRoute {
  readonly pluginId: string;
  readonly transport: MailTransport;
  readonly sender: MailSenderAccount;
}

/**
 * The transport and sender entry for `accountId`, or null when no registered transport lists it (sending is off
 * for that account, or the plugin that sends for it is not active).
 * @param registry - live registrations
 * @param accountId - the plugin's mail account id
 * @param logger - where a failing `senders()` is reported
 */
export async function findSender(
  registry: ContributionRegistry,
  accountId: string,
  logger: LoggerPort,
): Promise<SenderRoute | null> {
  for (const { pluginId, transport } of registry.mailTransports()) {
    let senders: readonly MailSenderAccount[];
    try {
      senders = await transport.senders();
    } catch (error) {
      logger.warn('a mail transport could not list its senders', {
        plugin: pluginId,
        transport: transport.id,
        code: (error as { code?: unknown }).code,
      });
      continue;
    }
    const sender = senders.find((candidate) => candidate.accountId === accountId);
    if (sender) return { pluginId, transport, sender };
  }
  return null;
}
