/**
 * Form building blocks of the admin screen: labelled fields with their errors next to them, CSRF-carrying POST
 * buttons.
 */
import type { FieldErrors } from './field-errors';
import { booleanAttribute, classNames, html, optionalAttribute, type SafeHtml } from '../../lib/html';

/** What every field shares. */
interface FieldBase {
  readonly name: string;
  readonly label: string;
  /** Help text under the field. */
  readonly hint?: string | SafeHtml;
  readonly errors?: FieldErrors | null;
  readonly required?: boolean;
}

/** A text-like input. */
export interface InputField extends FieldBase {
  readonly value?: string | null;
  readonly type?: 'text' | 'email' | 'number' | 'url' | 'date' | 'password';
  readonly placeholder?: string;
  readonly autocomplete?: string;
  readonly min?: number;
  readonly max?: number;
  /** The id of a `<datalist>` whose values the input offers (typing another stays possible). */
  readonly list?: string;
}

/** A multi-line text field (a pasted PEM or JSON key file). */
export interface TextareaField extends FieldBase {
  /** Shown in the field; a write-only field (a private key) never gets one. */
  readonly value?: string | null;
  readonly rows?: number;
  readonly placeholder?: string;
}

/** One choice of a select. */
export interface SelectOption {
  readonly value: string;
  readonly label: string;
}

/** A select. */
export interface SelectField extends FieldBase {
  readonly value?: string | null;
  readonly options: readonly SelectOption[];
}

/** A checkbox (checked sends "on"; unchecked sends nothing). */
export interface CheckboxField extends FieldBase {
  readonly checked: boolean;
}

function messagesOf(field: FieldBase): readonly string[] {
  return field.errors?.[field.name] ?? [];
}

function invalid(field: FieldBase): boolean {
  return messagesOf(field).length > 0;
}

/** The field's wrapper classes: `field`, the kind's own, and `invalid` when it has errors. */
function fieldClass(field: FieldBase, ...kind: string[]): string {
  return classNames('field', ...kind, invalid(field) && 'invalid');
}

function errorList(field: FieldBase): SafeHtml {
  const messages = messagesOf(field);
  if (messages.length === 0) return html``;
  return html`<p class="field-error" id="e-${field.name}" role="alert">${messages.join('; ')}</p>`;
}

function describedBy(field: FieldBase): string {
  const ids: string[] = [];
  if (field.hint) ids.push(`h-${field.name}`);
  if (invalid(field)) ids.push(`e-${field.name}`);
  return ids.join(' ');
}

/** `aria-describedby` (hint and errors) of a field's control and, with `markInvalid`, its `aria-invalid`. */
function ariaAttributes(field: FieldBase, options: { readonly markInvalid: boolean }): SafeHtml[] {
  return [
    optionalAttribute('aria-describedby', describedBy(field)),
    optionalAttribute('aria-invalid', options.markInvalid && invalid(field) && 'true'),
  ];
}

function hint(field: FieldBase): SafeHtml {
  return field.hint ? html`<small class="hint" id="h-${field.name}">${field.hint}</small>` : html``;
}

function requiredMark(field: FieldBase): SafeHtml {
  return field.required ? html` <span class="req" aria-hidden="true">*</span>` : html``;
}

/** A labelled input with its hint and errors. */
export function inputField(field: InputField): SafeHtml {
  const type = field.type ?? 'text';
  const value = type === 'password' ? '' : (field.value ?? '');
  const attributes = [
    optionalAttribute('placeholder', field.placeholder),
    optionalAttribute('autocomplete', field.autocomplete),
    optionalAttribute('min', field.min),
    optionalAttribute('max', field.max),
    optionalAttribute('list', field.list),
    ...ariaAttributes(field, { markInvalid: true }),
  ];
  return html`<div class="${fieldClass(field)}">
<label for="f-${field.name}">${field.label}${requiredMark(field)}</label>
<input id="f-${field.name}" name="${field.name}" type="${type}" value="${value}"${attributes}>
${hint(field)}
${errorList(field)}
</div>`;
}

/** A labelled textarea with its hint and errors. */
export function textareaField(field: TextareaField): SafeHtml {
  const attributes = [
    optionalAttribute('placeholder', field.placeholder),
    optionalAttribute('rows', field.rows ?? 6),
    ...ariaAttributes(field, { markInvalid: true }),
  ];
  return html`<div class="${fieldClass(field)}">
<label for="f-${field.name}">${field.label}${requiredMark(field)}</label>
<textarea id="f-${field.name}" name="${field.name}" spellcheck="false" autocomplete="off"${attributes}>${field.value ?? ''}</textarea>
${hint(field)}
${errorList(field)}
</div>`;
}

function selectOption(option: SelectOption, selected: string): SafeHtml {
  const attributes = booleanAttribute('selected', option.value === selected);
  return html`<option value="${option.value}"${attributes}>${option.label}</option>`;
}

/** A labelled select with its hint and errors. */
export function selectField(field: SelectField): SafeHtml {
  const options = field.options.map((option) => selectOption(option, field.value ?? ''));
  return html`<div class="${fieldClass(field)}">
<label for="f-${field.name}">${field.label}</label>
<select id="f-${field.name}" name="${field.name}"${ariaAttributes(field, { markInvalid: true })}>
${options}
</select>
${hint(field)}
${errorList(field)}
</div>`;
}

/** A checkbox with its label, hint and errors. */
export function checkboxField(field: CheckboxField): SafeHtml {
  const attributes = [booleanAttribute('checked', field.checked), ...ariaAttributes(field, { markInvalid: false })];
  return html`<div class="${fieldClass(field, 'check')}">
<label><input id="f-${field.name}" name="${field.name}" type="checkbox" value="on"${attributes}> ${field.label}</label>
${hint(field)}
${errorList(field)}
</div>`;
}

function formMessages(messages: readonly string[]): SafeHtml {
  if (messages.length === 0) return html``;
  return html`<ul>${messages.map((message) => html`<li>${message}</li>`)}</ul>`;
}

/** A fieldset with its legend around fields. */
export function fieldset(legend: string, fields: readonly SafeHtml[]): SafeHtml {
  return html`<fieldset>
<legend>${legend}</legend>
${fields}
</fieldset>`;
}

/**
 * The row under a form: the submit button and a Cancel link.
 * @param submitLabel - the button's words
 * @param cancelHref - where Cancel goes
 */
export function formActions(submitLabel: string, cancelHref: string): SafeHtml {
  return html`<p class="actions">
<button type="submit" class="primary">${submitLabel}</button> <a href="${cancelHref}">Cancel</a>
</p>`;
}

/** The "Nothing was saved" box above a form, with the form-level messages; empty when there is no error. */
export function formErrorsNotice(errors: FieldErrors | null): SafeHtml {
  if (!errors || Object.keys(errors).length === 0) return html``;
  return html`<div class="notice error" role="alert" id="form-errors">
Nothing was saved: correct the marked fields.${formMessages(errors._form ?? [])}
</div>`;
}

/**
 * The values an input offers (see {@link InputField.list}).
 * @param id - referenced by the inputs' `list`
 * @param values - the choices
 */
export function datalist(id: string, values: readonly string[]): SafeHtml {
  return html`<datalist id="${id}">${values.map((value) => html`<option value="${value}"></option>`)}</datalist>`;
}

/** A hidden form field. */
export function hiddenField(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/** The hidden CSRF field every POST form carries. */
export function csrfField(csrfToken: string | undefined): SafeHtml {
  return hiddenField('_csrf', csrfToken ?? '');
}

/** Options of {@link postButton}. */
export interface PostButtonOptions {
  readonly csrfToken: string | undefined;
  /** CSS class of the button (`primary`, `danger` …). */
  readonly kind?: string;
  /** Extra hidden fields. */
  readonly fields?: Readonly<Record<string, string>>;
  /** A required "I am sure" checkbox before the button (destructive actions). */
  readonly confirm?: string;
  /** `id` attribute of the form, for tests and the page's anchors. */
  readonly id?: string;
}

function confirmCheckbox(confirm: string | undefined): SafeHtml {
  if (!confirm) return html``;
  return html`<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> ${confirm}</label> `;
}

/** A one-button POST form (an action on an item). */
export function postButton(action: string, label: string, options: PostButtonOptions): SafeHtml {
  const fields = Object.entries(options.fields ?? {}).map(([name, value]) => hiddenField(name, value));
  return html`<form method="post" action="${action}" class="inline"${optionalAttribute('id', options.id)}>
${csrfField(options.csrfToken)}
${fields}
${confirmCheckbox(options.confirm)}<button type="submit" class="${options.kind ?? ''}">${label}</button>
</form>`;
}
