// Contact normalisation: the keys de-duplication compares. Pure, so the workflow sandbox and the
// API can both use it.
import { z } from 'zod';

/** Lower-cased, trimmed e-mail, or undefined when it is not a plausible address. */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  // Pragmatic RFC 5322 subset: one @, a dot in the domain, no spaces.
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email) ? email : undefined;
}

/**
 * A phone number in E.164 (`+<country><number>`, 8–15 digits), or undefined.
 * Russian trunk notation (8XXXXXXXXXX) and bare 10-digit national numbers are read as +7,
 * the home market of the partner programs this engine was built for.
 */
export function normalizePhone(raw: string, defaultCountry = '7'): string | undefined {
  const trimmed = raw.trim();
  if (!/^[+\d\s().-]+$/.test(trimmed)) return undefined;
  let digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('+')) {
    // already international
  } else if (trimmed.startsWith('00')) {
    digits = digits.slice(2);
  } else if (defaultCountry === '7' && digits.length === 11 && digits.startsWith('8')) {
    digits = '7' + digits.slice(1);
  } else if (digits.length === 10) {
    digits = defaultCountry + digits;
  }
  if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return undefined;
  return '+' + digits;
}

// Word boundaries spelled out: \b knows only ASCII letters, and legal forms are often Cyrillic.
const LEGAL_FORMS = /(?<![\p{L}\p{N}])(ооо|оао|зао|пао|ао|ип|нко|llc|ltd|inc|corp|gmbh|plc|co)(?![\p{L}\p{N}])\.?/giu;

/** A company key for "two managers never work the same company": case, quotes and legal form ignored. */
export function companyKey(name: string): string | undefined {
  const key = name
    .toLowerCase()
    .replace(/[«»"'`“”„]/g, ' ')
    .replace(LEGAL_FORMS, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return key.length > 0 ? key : undefined;
}

const PHONE_MESSAGE = 'not a phone number (expected e.g. +7 495 123-45-67)';

/** A phone number from outside, normalised to E.164 (or a precise validation issue). */
// The shape (digits, spaces, brackets, dots, dashes, a leading +) is in the schema, so the OpenAPI
// document says it too; whether it is a real number is the normaliser's call.
export const PhoneNumber = z
  .string()
  .max(40)
  .regex(/^\+?[\d\s().-]{8,40}$/, PHONE_MESSAGE)
  .transform((raw, ctx) => {
    const e164 = normalizePhone(raw);
    if (!e164) {
      ctx.addIssue({ code: 'custom', message: PHONE_MESSAGE });
      return z.NEVER;
    }
    return e164;
  });

/** An e-mail address from outside, trimmed and lower-cased (or a precise validation issue). */
export const EmailAddress = z
  .string()
  .max(254)
  .transform((raw, ctx) => {
    const normal = normalizeEmail(raw);
    if (!normal) {
      ctx.addIssue({ code: 'custom', message: 'not an e-mail address' });
      return z.NEVER;
    }
    return normal;
  });
