/**
 * What the plugin notifies the admin of shows hidden characters (lib/visible-text.ts) instead of obeying them: a
 * title or message embeds a mailbox, an app name, a folder or a provider's or mail server's words, and the host
 * shows it as a banner, where a right-to-left override would reorder it.
 */
import { visibleText } from '../lib/visible-text';
import type { NotifyPort } from './ports/host';

/** `notify` with every title and message passed through {@link visibleText}. */
export function visibleNotifications(notify: NotifyPort): NotifyPort {
  return {
    notify: (notification) =>
      notify.notify({
        ...notification,
        title: visibleText(notification.title),
        message: visibleText(notification.message),
      }),
    resolve: (key) => notify.resolve(key),
  };
}
