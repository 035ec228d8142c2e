// A partner's sent-leads list as CSV: RFC 4180 fields, any column order, and every bad row
// reported by its line in the file.
import { z } from 'zod';
import { parseSentLeadsCsv, SentLeadRow } from '../../domain/sent-leads';

test('a good list: quoted fields, CRLF, a BOM, empty cells, columns in any order', () => {
  const csv =
    '\uFEFFsentAt,externalId,email,phone\r\n2026-11-17T10:00:00+03:00,A-1,Ivan@Example.com,8 916 123-45-67\r\n2026-11-18,"B,2","",\r\n\r\n2026-11-19T08:00:00Z,"C ""3""",,+7 495 000-00-00\r\n';
  const r = parseSentLeadsCsv(csv);
  expect(r).toEqual({
    rows: [
      { externalId: 'A-1', sentAt: new Date('2026-11-17T07:00:00Z'), email: 'ivan@example.com', phone: '+79161234567' },
      { externalId: 'B,2', sentAt: new Date('2026-11-18T00:00:00Z') },
      { externalId: 'C "3"', sentAt: new Date('2026-11-19T08:00:00Z'), phone: '+74950000000' },
    ],
  });
});

test('every bad row is reported with its line number (the header is row 1)', () => {
  const csv = [
    'externalId,sentAt,phone,email',
    'ok-1,2026-11-17T10:00:00Z,,',
    ',2026-11-17T10:00:00Z,,', // no id
    'bad-date,17.11.2026,,', // not ISO
    'local,2026-11-17T10:00:00,,', // no time zone
    'bad-phone,2026-11-17,call me,',
    'bad-email,2026-11-17,,nobody',
    'short,2026-11-17',
    'ok-1,2026-11-18,,', // duplicate id
  ].join('\n');
  const r = parseSentLeadsCsv(csv);
  expect('problems' in r && r.problems.map((p) => p.path)).toEqual([
    'row 3.externalId',
    'row 4.sentAt',
    'row 5.sentAt',
    'row 6.phone',
    'row 7.email',
    'row 8',
    'row 9.externalId',
  ]);
  expect('problems' in r && r.problems.at(-1)?.message).toBe('duplicates row 2');
});

test('a header without the required columns, or no rows, is refused', () => {
  expect(parseSentLeadsCsv('id,date\nx,2026-11-17')).toEqual({ problems: [expect.objectContaining({ path: 'row 1' })] });
  expect(parseSentLeadsCsv('externalId,sentAt\n')).toEqual({
    problems: [expect.objectContaining({ path: 'row 2', message: 'no rows after the header' })],
  });
  expect(parseSentLeadsCsv('externalId,sentAt\n"x,2026-11-17')).toEqual({
    problems: [expect.objectContaining({ path: 'row 2', message: 'a quoted field is never closed' })],
  });
});

test('an empty or impossible sentAt is refused, and the published schema says which strings are dates', () => {
  expect(parseSentLeadsCsv('externalId,sentAt\nx,\ny,2026-13-01')).toEqual({
    problems: [expect.objectContaining({ path: 'row 2.sentAt' }), expect.objectContaining({ path: 'row 3.sentAt' })],
  });
  const schema = z.toJSONSchema(SentLeadRow, { io: 'input' }) as unknown as { properties: { sentAt: { pattern: string } } };
  const pattern = new RegExp(schema.properties.sentAt.pattern);
  expect(
    ['2026-11-20', '2026-11-20T10:15:00+03:00', '2026-11-20T07:15Z', '2026-11-20T07:15:00.123+0300'].filter((x) => !pattern.test(x)),
  ).toEqual([]);
  expect(
    ['', '0000-00-00', '0000-01-01', '2026-13-01', '20.11.2026', '2026-11-20T10:15:00', '2026-11-20 10:15Z'].filter((x) => pattern.test(x)),
  ).toEqual([]);
});
