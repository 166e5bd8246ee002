/** Submitting mail over SMTP with an OAuth2 access token; implemented by adapters/smtp. */
import type { TlsMode } from './account-repository';
import type { OutboundMessage, SendResult } from './host';

/** Where to submit and how to secure the connection. */
export interface SmtpEndpoint {
  readonly host: string;
  readonly port: number;
  /** `starttls` (587, upgrade required), `implicit` (465) or `none` (loopback only, tests and demo). */
  readonly tls: TlsMode;
  /** Extra trusted CA certificates (PEM) besides the system store and NODE_EXTRA_CA_CERTS. */
  readonly caCertPem?: string | null;
  /** Bound of the connection, the greeting and every command. */
  readonly timeoutMs: number;
}

/** Who logs in: the SASL user and the bearer token for it. */
export interface SmtpLogin {
  /** The SASL user: the mailbox, or the delegate's own address when it sends as a shared mailbox. */
  readonly user: string;
  readonly accessToken: string;
}

/** One message with its From address decided (the send service fills in the account's). */
export type SubmittableMessage = OutboundMessage & { readonly from: string };

/** Opens an SMTP session, authenticates with SASL XOAUTH2 and submits. */
export interface MailSender {
  /**
   * Submits one message.
   * @throws PluginError ERR_SMTP_AUTH_FAILED | ERR_SMTP_AUTH_DISABLED | ERR_SMTP_SENDER_REFUSED |
   *   ERR_SMTP_RECIPIENT_REFUSED | ERR_SMTP_MESSAGE_REFUSED | ERR_SMTP_TEMPORARY | ERR_MAIL_TLS | ERR_MAIL_UNAVAILABLE |
   *   ERR_TIMEOUT | ERR_INPUT_INVALID
   */
  send(endpoint: SmtpEndpoint, login: SmtpLogin, message: SubmittableMessage): Promise<SendResult>;
  /**
   * Connects, authenticates and says goodbye without sending (Test connection).
   * @throws PluginError as {@link MailSender.send} does for the login
   */
  verify(endpoint: SmtpEndpoint, login: SmtpLogin): Promise<void>;
}
