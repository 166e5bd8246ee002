/**
 * {@link MailSender} over nodemailer's SMTP transport: one connection per message (a helpdesk's replies are few and
 * far between, and a fresh token is presented each time), SASL XOAUTH2 through {@link xoauth2Authentication},
 * TLS always verified, every phase bounded by the endpoint's timeout. nodemailer's logger stays off: its
 * transaction log would carry addresses and message text.
 */
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import type { SMTPSentMessageInfo, SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { readHeader } from '../../lib/mail-header';
import type { SendResult } from '../../plugin/ports/host';
import type { MailSender, SmtpEndpoint, SmtpLogin, SubmittableMessage } from '../../plugin/ports/mail-sender';
import { isIP } from 'node:net';
import { classifyHost } from '../../lib/net/address-class';
import { refusalOf } from '../../lib/net/address-policy';
import { guardedLookup, RefusedAddressError, type ResolveAll } from '../../lib/net/guarded-lookup';
import { PluginError } from '../../plugin/errors';
import { assertCleartextAllowed, verifiedTlsOptions } from '../tls/verified-tls';
import { toSmtpPluginError } from './smtp-error-mapper';
import { xoauth2Authentication } from './xoauth2-authentication';

/** The name the XOAUTH2 handler is registered under with nodemailer. */
const CUSTOM_XOAUTH2 = 'OAUTH2-MAIL-XOAUTH2';

/** Options of {@link NodemailerMailSender}. */
export interface NodemailerMailSenderOptions {
  /** Allow TLS mode `none`, and then only to a loopback host (tests and demo). */
  readonly allowInsecureLoopback?: boolean;
  /** Plugin config `allowPrivateNetworks`: SMTP servers in 10/8, 172.16/12, 192.168/16, fc00::/7. */
  readonly allowPrivateNetworks?: boolean;
  /** The resolver behind the network policy (tests). */
  readonly resolveAll?: ResolveAll;
  /** The name given in EHLO; nodemailer's default (the machine's host name) when absent. */
  readonly clientName?: string;
}

/** nodemailer's mail options for a message: fields as they are, or the raw message with its envelope. */
function mailOptions(message: SubmittableMessage): SendMailOptions {
  const envelope = {
    from: message.from,
    to: [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])],
  };
  if (message.raw) return { envelope, raw: message.raw };
  return {
    from: message.from,
    to: [...message.to],
    cc: message.cc ? [...message.cc] : undefined,
    bcc: message.bcc ? [...message.bcc] : undefined,
    subject: message.subject ?? '',
    text: message.text ?? '',
    html: message.html,
    attachments: message.attachments?.map((a) => ({
      filename: a.filename,
      content: a.content,
      ...(a.contentType ? { contentType: a.contentType } : {}),
    })),
    inReplyTo: message.inReplyTo,
    references: message.references ? [...message.references] : undefined,
    messageId: message.messageId,
    envelope,
  };
}

/** Sends over SMTP with nodemailer. */
export class NodemailerMailSender implements MailSender {
  readonly #options: NodemailerMailSenderOptions;

  /** @param options - loopback cleartext for tests, the EHLO name */
  constructor(options: NodemailerMailSenderOptions = {}) {
    this.#options = options;
  }

  /**
   * The address to connect to, checked against the network policy. nodemailer resolves names itself, past any
   * socket `lookup` hook, so the name is resolved here and nodemailer is given the checked address (the certificate
   * is still verified against the name, sent as SNI).
   */
  async #address(host: string, operation: string): Promise<string> {
    const network = { allowPrivateNetworks: this.#options.allowPrivateNetworks ?? false };
    const refusal = refusalOf(classifyHost(host), network);
    const refused = (message: string) =>
      new PluginError('ERR_ADDRESS_REFUSED', `${operation}: ${message}`, { operation });
    if (refusal !== null) throw refused(`${host} is ${refusal}.`);
    if (isIP(host) !== 0) return host;
    const lookup = guardedLookup(network, this.#options.resolveAll);
    return new Promise((resolve, reject) =>
      lookup(host, {}, (error, address) => {
        if (error instanceof RefusedAddressError) reject(refused(error.message));
        else if (error) reject(toSmtpPluginError(Object.assign(error, { code: 'EDNS' }), operation));
        else resolve(String(address));
      }),
    );
  }

  async #transport(
    endpoint: SmtpEndpoint,
    login: SmtpLogin,
    operation: string,
  ): Promise<Mail<SMTPSentMessageInfo, SMTPTransportOptions>> {
    if (endpoint.tls === 'none')
      assertCleartextAllowed('SMTP', endpoint.host, this.#options.allowInsecureLoopback ?? false);
    const address = await this.#address(endpoint.host, operation);
    const options: SMTPTransportOptions = {
      host: address,
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      port: endpoint.port,
      secure: endpoint.tls === 'implicit',
      requireTLS: endpoint.tls === 'starttls',
      ignoreTLS: endpoint.tls === 'none',
      tls: endpoint.tls === 'none' ? undefined : verifiedTlsOptions(endpoint.host, endpoint.caCertPem),
      connectionTimeout: endpoint.timeoutMs,
      greetingTimeout: endpoint.timeoutMs,
      socketTimeout: endpoint.timeoutMs,
      dnsTimeout: endpoint.timeoutMs,
      logger: false,
      debug: false,
      ...(this.#options.clientName ? { name: this.#options.clientName } : {}),
      // Under its own name: asked for "XOAUTH2" without its built-in token generator, nodemailer falls back to the
      // first mechanism the server lists (PLAIN); the handler itself speaks AUTH XOAUTH2.
      auth: { type: 'custom', method: CUSTOM_XOAUTH2, user: login.user },
      customAuth: { [CUSTOM_XOAUTH2]: xoauth2Authentication(login.user, login.accessToken) },
    };
    return nodemailer.createTransport(options);
  }

  /** @inheritdoc */
  async send(endpoint: SmtpEndpoint, login: SmtpLogin, message: SubmittableMessage): Promise<SendResult> {
    const transport = await this.#transport(endpoint, login, 'send');
    try {
      const info = await transport.sendMail(mailOptions(message));
      return {
        // For a raw message nodemailer reports an id of its own; the one that left is in the message.
        messageId: (message.raw && readHeader(message.raw, 'message-id')) || info.messageId,
        response: info.response,
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
      };
    } catch (error) {
      throw toSmtpPluginError(error, 'send');
    } finally {
      transport.close();
    }
  }

  /** @inheritdoc */
  async verify(endpoint: SmtpEndpoint, login: SmtpLogin): Promise<void> {
    const transport = await this.#transport(endpoint, login, 'login');
    try {
      await transport.verify();
    } catch (error) {
      throw toSmtpPluginError(error, 'login');
    } finally {
      transport.close();
    }
  }
}
