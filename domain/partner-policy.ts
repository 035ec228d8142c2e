// The partner program's own rules and durations, passed into its workflows like the lead policy
// (domain/policy.ts). Defaults are the trade's figures, each stated at its field.
import { z } from 'zod';
import { Duration } from './time';

/** active: gets offers; leaving: under notice, keeps its deals, gets no new offers; rotated_out: gone. */
export const PartnerStatus = z.enum(['active', 'leaving', 'rotated_out']);
export type PartnerStatus = z.infer<typeof PartnerStatus>;

export const PartnerPolicy = z.object({
  /** A partner leaves on 40 days' written notice, so its leads can move to a reserve partner. */
  noticePeriod: Duration.default('40 days'),
});
export type PartnerPolicy = z.infer<typeof PartnerPolicy>;
export type PartnerPolicyInput = z.input<typeof PartnerPolicy>;
