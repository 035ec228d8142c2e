// Forms generated from the API's own zod schemas (domain/actions.ts): the console walks the
// object's shape for its fields, so a field added to an action shows up in its form, and the API
// validates what the form sends with the same schema. A discriminated union (qualify: target or
// not) becomes one form per option, its discriminator a fixed hidden value. The roster and intake
// bodies need two more shapes: a nested object (intake's `person.name`) is flattened into fields
// with dotted names, and a list of short texts (a partner's `expertise`) is one comma-separated field.
import { z } from 'zod';

export type Field =
  | { name: string; kind: 'text'; required: boolean; max?: number; multiline: boolean; email?: boolean; value?: string }
  | { name: string; kind: 'list'; required: boolean; maxItems?: number; itemMax?: number; value?: string }
  | { name: string; kind: 'number'; required: boolean; min?: number; max?: number; int: boolean; value?: number }
  | { name: string; kind: 'boolean'; required: boolean; value?: boolean }
  | { name: string; kind: 'enum'; required: boolean; options: string[]; value?: string }
  | { name: string; kind: 'fixed'; value: string | number | boolean };

export interface FormSpec {
  /** The option of a discriminated union this form is for: `{ key: 'target', value: true }`. */
  variant?: { key: string; value: string | number | boolean };
  fields: Field[];
}

/** Longer free text than this is a textarea. */
const MULTILINE_FROM = 500;

/** Separates a list field's items, as typed ("crm, erp"). */
const LIST_SEPARATOR = ',';

/** A field's schema without its wrappers: whether it must be given, its default, what the form sends. */
function unwrap(schema: z.ZodType): { s: z.ZodType; required: boolean; value: unknown } {
  let s: z.ZodType = schema;
  let required = true;
  let value: unknown;
  for (;;) {
    // A transform (a phone normalised to E.164) takes what the person types: its input side
    // (a preprocess, whose input side is the transform itself, is asked by the schema after it).
    if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      required = false;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodDefault) {
      required = false;
      value = (s.def as { defaultValue: unknown }).defaultValue;
      s = s.unwrap() as z.ZodType;
    } else break;
  }
  return { s, required, value };
}

/** The fields of one schema entry: one, none (a shape no form can hold), or a nested object's, flattened. */
function fields(name: string, schema: z.ZodType, parentRequired = true): Field[] {
  const { s, required: own, value } = unwrap(schema);
  const required = own && parentRequired;
  if (s instanceof z.ZodObject) return Object.entries(s.shape).flatMap(([k, v]) => fields(`${name}.${k}`, v as z.ZodType, required));
  if (s instanceof z.ZodArray) {
    const item = unwrap(s.element as z.ZodType).s;
    if (!isText(item)) return []; // a list of objects: no form field for it today
    const maxItems = (s.def.checks ?? [])
      .map((c) => c._zod.def as { check: string; maximum?: number })
      .find((c) => c.check === 'max_length')?.maximum;
    return [
      {
        name,
        kind: 'list',
        required,
        maxItems,
        itemMax: item.maxLength ?? undefined,
        value: Array.isArray(value) && value.length ? value.join(`${LIST_SEPARATOR} `) : undefined,
      },
    ];
  }
  const f = field(name, s, required, value);
  return f ? [f] : [];
}

/** A string, or one of zod's string formats (`z.email()` is a ZodStringFormat, not a ZodString). */
const isText = (s: z.ZodType): s is z.ZodString => s instanceof z.ZodString || s instanceof z.ZodStringFormat;

function field(name: string, s: z.ZodType, required: boolean, value: unknown): Field | undefined {
  if (s instanceof z.ZodLiteral) return { name, kind: 'fixed', value: s.value as string | number | boolean };
  if (s instanceof z.ZodEnum) return { name, kind: 'enum', required, options: s.options.map(String), value: value as string | undefined };
  if (s instanceof z.ZodBoolean) return { name, kind: 'boolean', required, value: value as boolean | undefined };
  if (s instanceof z.ZodNumber) {
    const max = s.maxValue !== null && s.maxValue < Number.MAX_SAFE_INTEGER ? s.maxValue : undefined;
    return { name, kind: 'number', required, min: s.minValue ?? undefined, max, int: s.isInt, value: value as number | undefined };
  }
  if (isText(s)) {
    const max = s.maxLength ?? undefined;
    const email = s.format === 'email' || undefined;
    return { name, kind: 'text', required, max, multiline: (max ?? 0) > MULTILINE_FROM, email, value: value as string | undefined };
  }
  return undefined; // records, unions and the like: no form field for them today
}

function objectForm(schema: z.ZodObject, variant?: FormSpec['variant']): FormSpec {
  return { variant, fields: Object.entries(schema.shape).flatMap(([name, s]) => fields(name, s as z.ZodType)) };
}

/** The forms of an action's input schema: one for an object, one per option of a discriminated union. */
export function formsOf(schema: z.ZodType): FormSpec[] {
  if (schema instanceof z.ZodObject) return [objectForm(schema)];
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const key = (schema.def as { discriminator: string }).discriminator;
    return (schema.options as z.ZodObject[]).map((o) => {
      const lit = o.shape[key] as z.ZodLiteral;
      return objectForm(o, { key, value: lit.value as string | number | boolean });
    });
  }
  throw new Error('an action schema is an object or a discriminated union of objects');
}

/** Fixes some fields of a form (e.g. the partner answering is the signed-in partner). */
export function fix(spec: FormSpec, values: Record<string, string | number | boolean>): FormSpec {
  return { ...spec, fields: spec.fields.map((f) => (f.name in values ? { name: f.name, kind: 'fixed', value: values[f.name]! } : f)) };
}

/** Sets `a.b.c` in a body, making the objects on the way. */
function put(body: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let at = body;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = v;
}

/**
 * The posted form as the JSON body the API takes: empty optional fields left out (a nested object
 * none of whose fields was filled in with them), numbers and booleans typed, a list split at its
 * commas. A value that does not parse is passed on as typed, so the API's 400 names it.
 */
export function bodyOf(spec: FormSpec, form: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of spec.fields) {
    if (f.kind === 'fixed') {
      put(body, f.name, f.value);
      continue;
    }
    const v = form[f.name];
    if (v === undefined || v === '') continue;
    if (f.kind === 'number') put(body, f.name, /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
    else if (f.kind === 'boolean') put(body, f.name, v === 'true' ? true : v === 'false' ? false : v);
    else if (f.kind === 'list')
      put(
        body,
        f.name,
        v
          .split(LIST_SEPARATOR)
          .map((x) => x.trim())
          .filter(Boolean),
      );
    else put(body, f.name, v);
  }
  return body;
}

/**
 * The API's field errors (a 400's `errors`, paths like `body.person.name` or `body.expertise.0`)
 * by the form's field names: the field the path is in, else the first field inside the path (a
 * rule on a whole nested object, `body.person`, shows at its first field).
 */
export function fieldErrors(spec: FormSpec, errors: Array<{ path: string; message: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const names = spec.fields.map((f) => f.name);
  for (const e of errors ?? []) {
    const path = e.path.replace(/^body\.?/, '');
    if (!path) continue;
    const name =
      names.find((n) => path === n || path.startsWith(`${n}.`)) ?? names.find((n) => n.startsWith(`${path}.`)) ?? path.split('.')[0]!;
    out[name] ??= e.message;
  }
  return out;
}
