/**
 * The local test environment: real components on 127.0.0.1, started and stopped by the tests, the demo and the
 * bench themselves: a test CA, the local OAuth2 server (oidc-provider, its own process), a private Dovecot and an
 * SMTP sink behind Dovecot's submission service.
 * See README.md next to this file.
 */
export { createClientCertificate, privateKeyJwtMetadata, type ClientCertificate } from './client-certificate';
export { completeAuthorization, type CompleteAuthorizationOptions } from './complete-authorization';
export { completeDeviceAuthorization, type CompleteDeviceAuthorizationOptions } from './complete-device-authorization';
export {
  INSTALL_DOVECOT,
  startDovecot,
  type DovecotHandle,
  type MailboxStatus,
  type StartDovecotOptions,
} from './dovecot';
export type { SeedMessage } from './maildir';
export type { TokenStats } from './oauth-server/context';
export type { DevicePoll } from './oauth-server/device-polling';
export type { OAuthProfile } from './oauth-server/profiles';
export type { TokenFaultMode, TokenFaultOptions } from './oauth-server/token-faults';
export {
  startOAuthServer,
  type OAuthServerHandle,
  type StartOAuthServerOptions,
  type TestClient,
} from './oauth-server-process';
export type { ServiceAccountKeyFile, TestServiceAccount } from './service-account-key';
export { startSmtpSink, type SinkMessage, type SmtpSink } from './smtp-sink';
export { createTestCa, type TestCa } from './test-ca';
export { DEFAULT_USERS, SHARED_MAILBOX, type TestUser } from './users';
