/**
 * Escaping HTML templates, for the plugin's admin screen and the reference helpdesk's pages alike: every
 * interpolation is escaped unless it is already {@link SafeHtml}, so a name or an error text can never become markup.
 */
import escapeHtml from 'escape-html';

/** HTML that is already safe to send (built by {@link html} or {@link trustedHtml}). */
export class SafeHtml {
  /** @param value - HTML text that must not be escaped again */
  constructor(readonly value: string) {}

  /** The HTML text. */
  toString(): string {
    return this.value;
  }
}

/** Values allowed inside an {@link html} template; `null`, `undefined` and `false` render as nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolation (arrays item by item).
 * @example html`<td>${account.mailbox}</td>`
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Marks HTML that is already safe as such: a constant written in this code base (CSS, a fixed fragment), or a
 * page body a plugin rendered with {@link html} and handed over as text. Never pass input through it.
 * @param trusted - HTML text that contains no unescaped outside data
 */
export function trustedHtml(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
