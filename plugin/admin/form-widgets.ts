/** Form building blocks of the admin screen: labelled fields with their errors next to them, CSRF-carrying POST buttons. */
import type { FieldErrors } from './field-errors';
import { html, type SafeHtml } from '../../lib/html';

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

function errorList(name: string, errors: FieldErrors | null | undefined): SafeHtml {
  const messages = errors?.[name] ?? [];
  if (messages.length === 0) return html``;
  return html`<p class="field-error" id="e-${name}" role="alert">${messages.join('; ')}</p>`;
}

function describedBy(field: FieldBase): string {
  const ids: string[] = [];
  if (field.hint) ids.push(`h-${field.name}`);
  if ((field.errors?.[field.name] ?? []).length > 0) ids.push(`e-${field.name}`);
  return ids.join(' ');
}

function hint(field: FieldBase): SafeHtml {
  return field.hint ? html`<small class="hint" id="h-${field.name}">${field.hint}</small>` : html``;
}

function invalid(field: FieldBase): boolean {
  return (field.errors?.[field.name] ?? []).length > 0;
}

/** A labelled input with its hint and errors. */
export function inputField(field: InputField): SafeHtml {
  const type = field.type ?? 'text';
  return html`<div class="field${invalid(field) ? ' invalid' : ''}"><label for="f-${field.name}">${field.label}${field.required ? html` <span class="req" aria-hidden="true">*</span>` : ''}</label>
<input id="f-${field.name}" name="${field.name}" type="${type}" value="${type === 'password' ? '' : (field.value ?? '')}"${field.placeholder ? html` placeholder="${field.placeholder}"` : ''}${field.autocomplete ? html` autocomplete="${field.autocomplete}"` : ''}${field.min !== undefined ? html` min="${field.min}"` : ''}${field.max !== undefined ? html` max="${field.max}"` : ''}${describedBy(field) ? html` aria-describedby="${describedBy(field)}"` : ''}${invalid(field) ? html` aria-invalid="true"` : ''}>
${hint(field)}${errorList(field.name, field.errors)}</div>`;
}

/** A labelled select with its hint and errors. */
export function selectField(field: SelectField): SafeHtml {
  return html`<div class="field${invalid(field) ? ' invalid' : ''}"><label for="f-${field.name}">${field.label}</label>
<select id="f-${field.name}" name="${field.name}"${describedBy(field) ? html` aria-describedby="${describedBy(field)}"` : ''}${invalid(field) ? html` aria-invalid="true"` : ''}>${field.options.map((option) => html`<option value="${option.value}"${option.value === (field.value ?? '') ? html` selected` : ''}>${option.label}</option>`)}</select>
${hint(field)}${errorList(field.name, field.errors)}</div>`;
}

/** A checkbox with its label, hint and errors. */
export function checkboxField(field: CheckboxField): SafeHtml {
  return html`<div class="field check${invalid(field) ? ' invalid' : ''}"><label><input id="f-${field.name}" name="${field.name}" type="checkbox" value="on"${field.checked ? html` checked` : ''}${describedBy(field) ? html` aria-describedby="${describedBy(field)}"` : ''}> ${field.label}</label>
${hint(field)}${errorList(field.name, field.errors)}</div>`;
}

/** The "Nothing was saved" box above a form, with the form-level messages; empty when there is no error. */
export function formErrorsNotice(errors: FieldErrors | null): SafeHtml {
  const formErrors = errors?._form ?? [];
  if (!errors || Object.keys(errors).length === 0) return html``;
  return html`<div class="notice error" role="alert" id="form-errors">Nothing was saved: correct the marked fields.${formErrors.length > 0 ? html`<ul>${formErrors.map((m) => html`<li>${m}</li>`)}</ul>` : ''}</div>`;
}

/** The hidden CSRF field every POST form carries. */
export function csrfField(csrfToken: string | undefined): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrfToken ?? ''}">`;
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
  /** `name` attribute of the form, for tests and the page's anchors. */
  readonly id?: string;
}

/** A one-button POST form (an action on an item). */
export function postButton(action: string, label: string, options: PostButtonOptions): SafeHtml {
  return html`<form method="post" action="${action}" class="inline"${options.id ? html` id="${options.id}"` : ''}>${csrfField(options.csrfToken)}${Object.entries(options.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}${options.confirm ? html`<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> ${options.confirm}</label> ` : ''}<button type="submit" class="${options.kind ?? ''}">${label}</button></form>`;
}
