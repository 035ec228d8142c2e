// A partner's list of the leads it sent us — the input of reconciliation — as one zod schema for
// both ways it arrives: JSON, and CSV (`externalId,sentAt,phone,email`) where every bad row is
// reported by its line number, so the partner can fix its export in one go.
import { z } from 'zod';
import { trimmedText } from './text';
import { EmailAddress, PhoneNumber } from './contact';
import { PLAUSIBLE_YEAR } from './time';

export const MAX_SENT_LEADS = 10_000;

// A date, or a date-time with its zone, in a plausible year; as a pattern so the OpenAPI
// document says so too.
const ISO_DATE_OR_INSTANT = new RegExp(
  `^${PLAUSIBLE_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])([Tt]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:?\\d{2}))?$`,
);
const NOT_ISO = 'not an ISO 8601 date or date-time with a time zone (e.g. 2026-11-20T10:15:00+03:00)';

/** A date (midnight UTC) or a date-time with its time zone: a local time would be a guess. */
const SentAt = z
  .string()
  .trim()
  .regex(ISO_DATE_OR_INSTANT, { message: NOT_ISO, abort: true })
  .refine((s) => !Number.isNaN(Date.parse(s)), NOT_ISO) // e.g. month 13
  .transform((s) => new Date(s));

export const SentLeadRow = z.object({
  externalId: trimmedText(200).describe("The partner's own id of the lead (source.externalId at intake)"),
  sentAt: SentAt.describe('When the partner sent it: an ISO date or a date-time with a time zone'),
  phone: PhoneNumber.nullish().describe('Compared with what we received, after normalisation'),
  email: EmailAddress.nullish(),
});
export type SentLeadRow = z.output<typeof SentLeadRow>;

export const SentLeadsUpload = z.object({
  leads: z.array(SentLeadRow).min(1).max(MAX_SENT_LEADS),
});

export interface RowProblem {
  path: string;
  message: string;
}

/** One external id once per upload: two rows for it would silently overwrite each other. */
export function duplicateRows(rows: Array<{ externalId: string }>, label: (index: number) => string): RowProblem[] {
  const first = new Map<string, number>();
  const problems: RowProblem[] = [];
  rows.forEach((r, i) => {
    const at = first.get(r.externalId);
    if (at === undefined) first.set(r.externalId, i);
    else problems.push({ path: `${label(i)}.externalId`, message: `duplicates ${label(at)}` });
  });
  return problems;
}

const COLUMNS = ['externalId', 'sentAt', 'phone', 'email'] as const;
const REQUIRED = ['externalId', 'sentAt'];

/**
 * Parses a CSV list (RFC 4180: commas, double-quoted fields, "" for a quote, CRLF or LF).
 * The header names the columns, in any order; phone and email may be left out. Rows are counted
 * as lines of the file, the header being row 1; blank lines are skipped but counted.
 */
export function parseSentLeadsCsv(text: string): { rows: SentLeadRow[] } | { problems: RowProblem[] } {
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  if ('problem' in records) return { problems: [records.problem] };
  const [header, ...body] = records.records;
  if (!header) return { problems: [{ path: 'row 1', message: `empty file; expected the header ${COLUMNS.join(',')}` }] };
  const names = header.fields.map((f) => f.trim());
  const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
  const missing = REQUIRED.filter((n) => !names.includes(n));
  if (unknown.length || missing.length || new Set(names).size !== names.length) {
    return {
      problems: [
        {
          path: 'row 1',
          message: `header must name the columns ${COLUMNS.join(',')} (phone and email optional), each once; got ${names.join(',')}`,
        },
      ],
    };
  }

  const rows: SentLeadRow[] = [];
  const lines: number[] = [];
  const problems: RowProblem[] = [];
  const data = body.filter((r) => !(r.fields.length === 1 && r.fields[0]!.trim() === ''));
  if (data.length === 0) problems.push({ path: 'row 2', message: 'no rows after the header' });
  if (data.length > MAX_SENT_LEADS)
    problems.push({ path: `row ${data[MAX_SENT_LEADS]!.line}`, message: `at most ${MAX_SENT_LEADS} rows per upload` });
  for (const r of data.slice(0, MAX_SENT_LEADS)) {
    if (r.fields.length !== names.length) {
      problems.push({ path: `row ${r.line}`, message: `${r.fields.length} fields, the header has ${names.length}` });
      continue;
    }
    // An empty cell is an absent value, as a spreadsheet means it.
    const raw = Object.fromEntries(names.map((n, i) => [n, r.fields[i]!.trim() === '' ? undefined : r.fields[i]]));
    const parsed = SentLeadRow.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push({ path: `row ${r.line}.${issue.path.join('.') || 'row'}`, message: issue.message });
      continue;
    }
    rows.push(parsed.data);
    lines.push(r.line);
  }
  problems.push(...duplicateRows(rows, (i) => `row ${lines[i]}`));
  return problems.length ? { problems } : { rows };
}

/** Splits CSV text into records, remembering the line each starts on. */
function csvRecords(text: string): { records: Array<{ line: number; fields: string[] }> } | { problem: RowProblem } {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: start, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      continue;
    }
    if (c === '"')
      return { problem: { path: `row ${line}`, message: 'a quote inside an unquoted field (quote the whole field and double the quote)' } };
    if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') continue;
    if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      start = line;
      continue;
    }
    field += c;
    atFieldStart = false;
  }
  if (quoted) return { problem: { path: `row ${start}`, message: 'a quoted field is never closed' } };
  if (field !== '' || fields.length > 0) endRecord();
  return { records };
}
