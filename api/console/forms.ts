// Forms generated from the API's own zod schemas (domain/actions.ts): the console walks the
// object's shape for its fields, so a field added to an action shows up in its form, and the API
// validates what the form sends with the same schema. A discriminated union (qualify: target or
// not) becomes one form per option, its discriminator a fixed hidden value.
import { z } from 'zod';

export type Field =
  | { name: string; kind: 'text'; required: boolean; max?: number; multiline: boolean; value?: string }
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

function field(name: string, schema: z.ZodType): Field | undefined {
  let s: z.ZodType = schema;
  let required = true;
  let value: unknown;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      required = false;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodDefault) {
      required = false;
      value = (s.def as { defaultValue: unknown }).defaultValue;
      s = s.unwrap() as z.ZodType;
    } else break;
  }
  if (s instanceof z.ZodLiteral) return { name, kind: 'fixed', value: s.value as string | number | boolean };
  if (s instanceof z.ZodEnum) return { name, kind: 'enum', required, options: s.options.map(String), value: value as string | undefined };
  if (s instanceof z.ZodBoolean) return { name, kind: 'boolean', required, value: value as boolean | undefined };
  if (s instanceof z.ZodNumber) {
    const max = s.maxValue !== null && s.maxValue < Number.MAX_SAFE_INTEGER ? s.maxValue : undefined;
    return { name, kind: 'number', required, min: s.minValue ?? undefined, max, int: s.isInt, value: value as number | undefined };
  }
  if (s instanceof z.ZodString) {
    const max = s.maxLength ?? undefined;
    return { name, kind: 'text', required, max, multiline: (max ?? 0) > MULTILINE_FROM, value: value as string | undefined };
  }
  return undefined; // nested objects and the like: not an action field today
}

function objectForm(schema: z.ZodObject, variant?: FormSpec['variant']): FormSpec {
  const fields = Object.entries(schema.shape).flatMap(([name, s]) => {
    const f = field(name, s as z.ZodType);
    return f ? [f] : [];
  });
  return { variant, fields };
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

/**
 * The posted form as the JSON body the API takes: empty optional fields left out, numbers and
 * booleans typed. A value that does not parse is passed on as typed, so the API's 400 names it.
 */
export function bodyOf(spec: FormSpec, form: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of spec.fields) {
    if (f.kind === 'fixed') {
      body[f.name] = f.value;
      continue;
    }
    const v = form[f.name];
    if (v === undefined || v === '') continue;
    if (f.kind === 'number') body[f.name] = /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
    else if (f.kind === 'boolean') body[f.name] = v === 'true' ? true : v === 'false' ? false : v;
    else body[f.name] = v;
  }
  return body;
}
