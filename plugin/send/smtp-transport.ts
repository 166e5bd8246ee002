/** The plugin's one mail transport: the host's way to send replies through the accounts with sending on. */
import type { MailTransport } from '../ports/host';
import type { SendService } from './send-service';

/** The transport's contribution id, declared in plugin.json `contributes.mailTransports`. */
export const SMTP_TRANSPORT_ID = 'oauth2-mail.smtp';

/**
 * The transport over the send service.
 * @param sending - the send service
 */
export function smtpTransport(sending: SendService): MailTransport {
  return {
    id: SMTP_TRANSPORT_ID,
    title: 'Mail accounts (OAuth2)',
    async senders() {
      return (await sending.senders()).map((account) => ({
        accountId: account.id,
        address: account.smtp.from ?? account.mailbox,
        title: account.mailbox,
      }));
    },
    send: (accountId, message) => sending.send(accountId, message),
  };
}
