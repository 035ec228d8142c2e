// Dates at the API's edge. PostgreSQL has no year 0 (ISO 8601's 0000 is 1 BC) and nothing this
// product records happened before 1900 or after 2999, so the year is bounded in the schema itself:
// a caller learns it from the OpenAPI document, and such a date never reaches the database.
import { z } from 'zod';

export const PLAUSIBLE_YEAR = '(19|2\\d)\\d{2}';
const YEAR_FIRST = new RegExp(`^${PLAUSIBLE_YEAR}-`);
const YEAR_MESSAGE = 'a year from 1900 to 2999';

/** YYYY-MM-DD. */
export const IsoDate = () => z.iso.date().regex(YEAR_FIRST, YEAR_MESSAGE);

/** An ISO 8601 date-time (with `offset`, any zone; else Z). */
export const IsoDateTime = (opts: { offset?: boolean } = {}) => z.iso.datetime(opts).regex(YEAR_FIRST, YEAR_MESSAGE);
