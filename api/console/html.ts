// HTML as small template functions. Every value goes through `esc` unless it is already `Html`
// (made here from escaped parts), so a lead's name or a workflow's reason can never become markup.

/** Markup that is safe to insert as is: only built by `html` and `raw` below. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return p.map(render).join('');
  return esc(p);
}

/** Tagged template: interpolated values are escaped, arrays joined, Html kept. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Trusted markup made by this module's callers from constants (e.g. a computed SVG path). */
export const raw = (s: string): Html => new Html(s);

/** Attribute flags: `attrs({ required: true, min: 1 })` → ` required min="1"`. */
export function attrs(a: Record<string, string | number | boolean | undefined>): Html {
  return new Html(
    Object.entries(a)
      .map(([k, v]) => (v === true ? ` ${k}` : v === false || v === undefined ? '' : ` ${k}="${esc(v)}"`))
      .join(''),
  );
}
