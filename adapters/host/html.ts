/**
 * A tiny HTML templating helper: every interpolation is escaped unless it is already {@link SafeHtml}.
 */
import escapeHtml from 'escape-html';

/** A fragment of HTML that is already safe to send (built by {@link html} or {@link raw}). */
export class SafeHtml {
  /** @param value - HTML text that must not be escaped again */
  constructor(readonly value: string) {}

  /** The HTML text. */
  toString(): string {
    return this.value;
  }
}

/** Values allowed inside an {@link html} template. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolation (arrays are rendered item by item; `null`,
 * `undefined` and `false` render as nothing).
 * @example html`<p>${userInput}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Marks trusted HTML (e.g. a page body a plugin rendered and escaped itself) as safe.
 * @param trusted - HTML that must not be escaped
 */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
