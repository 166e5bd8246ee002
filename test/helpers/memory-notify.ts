import type { Notification, NotifyPort } from '../../plugin/ports/host';

/** Notifications in memory with the host's "one open notification per key" rule; keeps what was sent and resolved. */
export class MemoryNotify implements NotifyPort {
  readonly open = new Map<string, Notification>();
  readonly sent: Notification[] = [];
  readonly resolved: string[] = [];

  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
    this.open.set(notification.key, notification);
  }

  async resolve(key: string): Promise<void> {
    this.resolved.push(key);
    this.open.delete(key);
  }
}
