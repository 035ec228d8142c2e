// Time as the product writes it: lengths of time in milliseconds, the duration strings of the
// policies, and dates at the API's edge.
import { z } from 'zod';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * A duration as policies write it and Temporal reads it (`msToNumber`): '3 days', '12 hours',
 * '90 minutes', '1.5 h'. One grammar for every policy (the lead's, the partner programme's).
 */
export const Duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?|w|weeks?)$/);

// PostgreSQL has no year 0 (ISO 8601's 0000 is 1 BC) and nothing this product records happened
// before 1900 or after 2999, so the year is bounded in the schema itself: a caller learns it from
// the OpenAPI document, and such a date never reaches the database.
export const PLAUSIBLE_YEAR = '(19|2\\d)\\d{2}';
const YEAR_FIRST = new RegExp(`^${PLAUSIBLE_YEAR}-`);
const YEAR_MESSAGE = 'a year from 1900 to 2999';

/** YYYY-MM-DD. */
export const IsoDate = () => z.iso.date().regex(YEAR_FIRST, YEAR_MESSAGE);

/** An ISO 8601 date-time (with `offset`, any zone; else Z). */
export const IsoDateTime = (opts: { offset?: boolean } = {}) => z.iso.datetime(opts).regex(YEAR_FIRST, YEAR_MESSAGE);
