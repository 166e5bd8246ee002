/**
 * The public surface of the oauth2-mail plugin (plugin.json `main` points at its build): the
 * `activate` / `deactivate` pair a host calls, and the types a host implements or reads.
 * The exported names are pinned by test/unit/public-api.test.ts.
 */
export { activate, deactivate } from './main';
export { ERROR_CODES, PluginError, isPluginError, toPluginError } from './errors';
export type { AccountStatusEffect, ErrorCodeInfo, ErrorDetails, PluginErrorCode } from './errors';
export { HOST_API_VERSION } from './ports/host';
export type {
  Actor,
  AdminPort,
  AdminScreen,
  DatabasePort,
  Disposable,
  HostPort,
  HostRequest,
  HostResponse,
  InboundMessage,
  IngestResult,
  LifecyclePort,
  LogFields,
  LoggerPort,
  MailPort,
  MailSenderAccount,
  MailTransport,
  Notification,
  OutboundAttachment,
  OutboundMessage,
  NotifyPort,
  PluginEntry,
  RouteDefinition,
  RoutesPort,
  ScheduledTask,
  SchedulerPort,
  SecretsPort,
  SendResult,
} from './ports/host';
export { PluginConfigSchema, parseConfig } from './config';
export type { PluginConfig } from './config';
export { KNOWN_PERMISSIONS, PERMISSIONS, PluginManifest, manifestJsonSchema, tablePrefix } from './manifest';
export type { ContributionKind, Permission } from './manifest';
