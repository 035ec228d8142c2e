// A FormSpec (api/console/forms.ts) as an HTML form: a label for every field, the schema's limits
// as the browser's own checks, the API's field errors next to their fields after a refusal.
import { randomUUID } from 'node:crypto';
import type { Field, FormSpec } from './forms';
import { attrs, html, type Html } from './html';
import { type Lang, nameOf, t } from './i18n';
import { csrfField, type Ctx } from './layout';

export interface FormOptions {
  action: string;
  legend: string;
  variant?: number;
  /** Values to show (what was posted, after a refusal). */
  values?: Record<string, string>;
  /** Field errors from the API's 400, by field name. */
  errors?: Record<string, string>;
  /** Choices for a free-text field (e.g. managers for managerId). */
  choices?: Record<string, Array<{ value: string; label: string }>>;
  /** Suggestions for a free-text field the person may still type over (a datalist). */
  suggestions?: Record<string, string[]>;
  /** A line of help under a field (what to type, where the value comes from). */
  hints?: Record<string, string>;
  /** Fields left out of this form (the API's defaults apply). */
  omit?: string[];
  submit?: string;
  id: string;
  /** Where to go after success (a console path), instead of the lead card. */
  back?: string;
}

function control(lang: Lang, f: Exclude<Field, { kind: 'fixed' }>, id: string, o: FormOptions): Html {
  const posted = o.values?.[f.name];
  const current = posted ?? (f.value === undefined ? '' : String(f.value));
  const help = [o.hints?.[f.name] ? `${id}-hint` : '', f.kind === 'list' ? `${id}-list` : '', o.errors?.[f.name] ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: f.name,
    required: f.required,
    'aria-invalid': o.errors?.[f.name] ? 'true' : undefined,
    'aria-describedby': help || undefined,
  };
  const choices = o.choices?.[f.name];
  const options = (list: Array<{ value: string; label: string }>) =>
    html`${f.required && current ? '' : html`<option value="">${t(lang, 'choose')}</option>`}${list.map(
      (c) => html`<option value="${c.value}" ${attrs({ selected: c.value === current })}>${c.label}</option>`,
    )}`;
  if (choices) return html`<select${attrs(common)}>${options(choices)}</select>`;
  switch (f.kind) {
    case 'enum':
      return html`<select${attrs(common)}>${options(f.options.map((v) => ({ value: v, label: nameOf(lang, v) })))}</select>`;
    case 'boolean':
      return html`<select${attrs(common)}>${options([
        { value: 'true', label: t(lang, 'yes') },
        { value: 'false', label: t(lang, 'no') },
      ])}</select>`;
    case 'number':
      return html`<input
        type="number"
        inputmode="numeric"
        ${attrs({ ...common, min: f.min, max: f.max, step: f.int ? 1 : 'any', value: current })}
      />`;
    case 'list':
      // Comma-separated; each item's limit and the number of items are the API's to check.
      return html`<input type="text" ${attrs({ ...common, value: current })} />
        <div class="muted hint" id="${id}-list">${t(lang, 'commaSeparated')}</div>`;
    case 'text': {
      if (f.multiline) return html`<textarea${attrs({ ...common, maxlength: f.max })}>${current}</textarea>`;
      // A plain text box even for an e-mail: the API's reason for a bad one is shown, not the browser's.
      const list = o.suggestions?.[f.name]?.length ? `${id}-options` : undefined;
      const inputmode = f.email ? 'email' : undefined;
      return html`<input type="text" ${attrs({ ...common, maxlength: f.max, value: current, inputmode, list })} />${
          list ? html`<datalist id="${list}">${o.suggestions![f.name]!.map((v) => html`<option value="${v}"></option>`)}</datalist>` : ''
        }`;
    }
  }
}

export function formView(ctx: Ctx, spec: FormSpec, o: FormOptions): Html {
  const fields = spec.fields
    .filter((f) => !o.omit?.includes(f.name))
    .map((f) => {
      if (f.kind === 'fixed')
        return spec.variant?.key === f.name ? '' : html`<input type="hidden" name="${f.name}" value="${String(f.value)}" />`;
      const id = `${o.id}-${f.name.replace(/\./g, '-')}`;
      const err = o.errors?.[f.name];
      const hint = o.hints?.[f.name];
      return html`<label for="${id}">${nameOf(ctx.lang, f.name)}${f.required ? ' *' : ''}</label>${control(ctx.lang, f, id, o)}${
          hint ? html`<div class="muted hint" id="${id}-hint">${hint}</div>` : ''
        }${err ? html`<div class="field-error" id="${id}-error">${err}</div>` : ''}`;
    });
  // A fresh Idempotency-Key per rendered form: a double click or a resent form is one action.
  return html`<form class="action" method="post" action="${o.action}" id="${o.id}">
    ${csrfField(ctx)}
    <input
      type="hidden"
      name="_idem"
      value="${randomUUID()}"
    />${o.back ? html`<input type="hidden" name="_back" value="${o.back}" />` : ''}${o.variant !== undefined ? html`<input type="hidden" name="_variant" value="${o.variant}" />` : ''}
    <fieldset>
      <legend>${o.legend}</legend>
      ${fields}
    </fieldset>
    <button type="submit">${o.submit ?? t(ctx.lang, 'submit')}</button>
  </form>`;
}
