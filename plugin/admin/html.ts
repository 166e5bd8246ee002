/**
 * Escaping HTML templates for the admin screen: every interpolation is escaped unless it is already {@link SafeHtml},
 * so a name or an error text can never become markup.
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
 * Marks a constant written in this code base (CSS, a fixed fragment) as safe. Never pass input through it.
 * @param constant - HTML text that contains no outside data
 */
export function trustedHtml(constant: string): SafeHtml {
  return new SafeHtml(constant);
}
