// One partner unless the client compares. A lead goes to one partner at a time; only a client who
// asks to compare gets offers from 2–3 partners at once (`compare` at qualification). A round of
// offers never goes to a partner already asked (whatever it answered), nor to the partner that
// referred the lead to us. Which partners fit best (grade, capacity, a project to grow) is the
// partner choice's business (activities/partners.ts `pickPartners`, domain/partner-policy.ts).

/** How many partners a client who compares may hear from at once. */
export const MAX_COMPARED = 3;

/** The partners to offer to in one round: how many, and who is never asked. */
export interface OfferRound {
  count: number;
  exclude: string[];
}

export function offerRound(lead: {
  offers: ReadonlyArray<{ partnerId: string }>;
  creditPartnerId?: string;
  qualification?: { compare: number };
}): OfferRound {
  return {
    count: lead.qualification?.compare ?? 1,
    exclude: [...lead.offers.map((o) => o.partnerId), ...(lead.creditPartnerId ? [lead.creditPartnerId] : [])],
  };
}
