/**
 * How an outbox row's state reads on a page: the state word, and for a failure the error's message and the error
 * table's fix; for a queued row that failed before, the next attempt.
 */
import { ERROR_CODES, type PluginErrorCode } from '../../plugin/index';
import { html, type SafeHtml } from '../../lib/html';
import type { OutboxEntry } from '../outbox/outbox-entry';
import { timeElement } from './formatting';

/**
 * The error table's fix for a stored code, or null for a code the table does not know.
 * @param code - `last_error_code`
 */
export function fixFor(code: string | null): string | null {
  return code !== null && Object.prototype.hasOwnProperty.call(ERROR_CODES, code)
    ? ERROR_CODES[code as PluginErrorCode].fix
    : null;
}

/**
 * The state as a badge: `queued`, `sending`, `sent` or `failed`.
 * @param entry - the row
 */
export function stateBadge(entry: OutboxEntry): SafeHtml {
  return html`<span class="state ${entry.state}" data-state="${entry.state}">${entry.state}</span>`;
}

/**
 * The last error with its fix, when there is one.
 * @param entry - the row
 */
export function lastError(entry: OutboxEntry): SafeHtml {
  if (entry.lastErrorCode === null) return html``;
  const fix = fixFor(entry.lastErrorCode);
  return html`<p class="error-text outbox-error" data-code="${entry.lastErrorCode}">${entry.lastErrorMessage ?? ''}</p>
${fix ? html`<p class="muted outbox-fix">${fix}</p>` : ''}`;
}

/**
 * One line on where the row is: when it was sent (and its Message-ID), when it is tried next, or that it failed.
 * @param entry - the row
 */
export function stateLine(entry: OutboxEntry): SafeHtml {
  const attempts = `${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}`;
  switch (entry.state) {
    case 'sent': {
      const at = entry.sentAt !== null ? timeElement(entry.sentAt) : '';
      return html`${stateBadge(entry)} ${at} · Message-ID <code>${entry.messageId}</code>`;
    }
    case 'sending':
      return html`${stateBadge(entry)} <span class="muted">attempt ${entry.attempts} in progress</span>`;
    case 'failed':
      return html`${stateBadge(entry)} <span class="muted">after ${attempts}; not retried</span>`;
    default: {
      const next =
        entry.nextAttemptAt !== null && entry.attempts > 0
          ? html` · next attempt ${timeElement(entry.nextAttemptAt)}`
          : '';
      const tried = entry.attempts > 0 ? ` after ${attempts}` : ', waiting to be sent';
      return html`${stateBadge(entry)} <span class="muted">${tried}${next}</span>`;
    }
  }
}
