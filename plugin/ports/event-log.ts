/** The audit trail (docs/architecture.md#oauth2_mail_events): never a token value. */

/** Kinds of event. */
export type EventType =
  | 'app_created'
  | 'app_updated'
  | 'app_removed'
  | 'account_created'
  | 'account_updated'
  | 'account_removed'
  | 'connect_started'
  | 'token_obtained'
  | 'token_refreshed'
  | 'token_rotated'
  | 'token_revoked'
  | 'disconnected'
  | 'auth_failed'
  | 'status_changed'
  | 'poll_failed'
  | 'messages_fetched'
  | 'message_quarantined'
  | 'message_skipped'
  | 'keep_alive'
  | 'mail_sent'
  | 'send_failed';

/** One event. */
export interface PluginEvent {
  readonly id: string;
  readonly at: number;
  readonly type: EventType;
  readonly accountId: string | null;
  readonly appId: string | null;
  readonly actorId: string | null;
  /** A PluginErrorCode when the event is a failure. */
  readonly code: string | null;
  /** Secret-free words. */
  readonly message: string;
}

/** Append-only event storage. */
export interface EventLog {
  record(event: Omit<PluginEvent, 'id'>): Promise<void>;
  /** Newest first; `offset` skips that many of the newest (the pages of a history). */
  list(filter: {
    readonly accountId?: string;
    readonly appId?: string;
    readonly limit: number;
    readonly offset?: number;
  }): Promise<PluginEvent[]>;
}
