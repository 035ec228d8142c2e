// Free text from outside. Control characters (NUL above all, which PostgreSQL cannot store)
// are refused at the boundary, so they never reach a workflow's history or a retried activity.
import { z } from 'zod';

const NO_CONTROL = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;

/** A string of `min`..`max` characters without control characters (tabs and newlines allowed). */
export const text = (max: number, min = 0) => z.string().min(min).max(max).regex(NO_CONTROL, 'must not contain control characters');

/** The same, trimmed first (names, reasons). */
export const trimmedText = (max: number, min = 1) =>
  z.string().trim().min(min).max(max).regex(NO_CONTROL, 'must not contain control characters');
