// Money's one shared rule besides integer minor units: the currency is an ISO 4217 code.
import { z } from 'zod';

export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, e.g. RUB');
