// Opaque paging cursors: the last row's sort keys as base64url JSON, checked by the list's own
// schema on the way back in, so a cursor from elsewhere (or edited) is a 400 naming the field.
import type { z } from 'zod';
import { badRequest } from './problem';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(schema: S, raw: string | undefined): z.infer<S> | undefined {
  if (!raw) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString()));
  } catch {
    throw badRequest([{ path: 'querystring.cursor', message: 'not a cursor from this API' }]);
  }
}
