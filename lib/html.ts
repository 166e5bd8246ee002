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

/** Attribute names the helpers below accept: written in this code base, never taken from input. */
const ATTRIBUTE_NAME = /^[a-z][a-z0-9-]*$/;

function checkedName(name: string): string {
  if (!ATTRIBUTE_NAME.test(name)) throw new Error(`not an attribute name: ${JSON.stringify(name)}`);
  return name;
}

/**
 * A boolean attribute (` selected`, ` checked`, ` disabled`, ` open` …) when `on` holds, nothing otherwise.
 * @param name - the attribute's name (lower case letters, digits and dashes)
 * @param on - whether the attribute is present
 * @example html`<option value="${value}"${booleanAttribute('selected', value === chosen)}>`
 */
export function booleanAttribute(name: string, on: boolean): SafeHtml {
  return on ? trustedHtml(` ${checkedName(name)}`) : trustedHtml('');
}

/**
 * An attribute with an escaped value (` name="value"`) when there is a value; nothing for null, undefined, false
 * or the empty string (0 is a value).
 * @param name - the attribute's name (lower case letters, digits and dashes)
 * @param value - the attribute's value
 * @example html`<input name="q"${optionalAttribute('placeholder', field.placeholder)}>`
 */
export function optionalAttribute(name: string, value: string | number | false | null | undefined): SafeHtml {
  if (value === null || value === undefined || value === false || value === '') return trustedHtml('');
  return html` ${trustedHtml(checkedName(name))}="${value}"`;
}

/**
 * The value of a `class` attribute from a list of class names, leaving out those that are false, null, undefined
 * or empty (so a condition can switch a class on: `invalid && 'invalid'`).
 * @param names - class names, or a falsy value for a class that does not apply
 * @example html`<div class="${classNames('field', invalid && 'invalid')}">`
 */
export function classNames(...names: ReadonlyArray<string | false | null | undefined>): string {
  return names.filter((name): name is string => typeof name === 'string' && name.length > 0).join(' ');
}

/**
 * A table's head: one row of header cells.
 * @param labels - the column headings
 * @example html`<table>${tableHead(['Name', 'State'])}<tbody>…</tbody></table>`
 */
export function tableHead(labels: readonly string[]): SafeHtml {
  return html`<thead><tr>${labels.map((label) => html`<th>${label}</th>`)}</tr></thead>`;
}

/**
 * Plain data cells, side by side (`<td>…</td><td>…</td>`), each value escaped unless it is {@link SafeHtml}.
 * @param cells - the cells' contents, in column order
 * @example html`<tr>${tableCells([plugin.id, plugin.version])}</tr>`
 */
export function tableCells(cells: readonly HtmlValue[]): SafeHtml {
  return html`${cells.map((cell) => html`<td>${cell}</td>`)}`;
}
