// The telecom's year as probabilities, and the seeded PRNG the simulated staff draw them with.
// Figures from a telecom's published account of its partner program's first year are marked
// [seed]; the rest are our assumptions for what the articles do not say, chosen to be plausible
// for B2B call-centre leads and stated here so a reader can argue with them.

/** [seed] 27 894 B2B leads from the partners in the program's first year. */
export const TELECOM_YEAR_LEADS = 27_894;

export const RATES = {
  /** Share of inquiries that name a company but no person (an interest to verify). Assumed. */
  interest: 0.08,
  /** A person is found behind an interest. Assumed. */
  personFound: 0.8,
  /** [seed] The leads came from call-centre partners (they keep credit for what they refer); the rest are our web forms. */
  fromPartner: 0.85,
  /** First call on the day the lead arrives; else the next working day. Assumed. */
  callSameDay: 0.7,
  /** One call attempt: reached, refused on the phone, else no answer (5 of those: unreachable). Assumed. */
  reached: 0.72,
  refusedOnCall: 0.06,
  /** [seed] Target leads were 60–68 % month by month: each qualification draws from that range. */
  targetMin: 0.6,
  targetMax: 0.68,
  /** A target lead we cannot serve ourselves and hand to a partner (with consent). Assumed. */
  toPartner: 0.3,
  /** The client's answer to "may I pass your contacts to a colleague?": yes, no, else silence (3 business days). Assumed. */
  consentGiven: 0.75,
  consentRefused: 0.17,
  /** A partner's answer to an offer: accept, decline, else silence (2 business days, next partner). Assumed. */
  partnerAccepts: 0.8,
  partnerDeclines: 0.15,
  /** [seed] A B2B deal takes 3–4 months from the first meeting to the last payment. */
  dealDaysMin: 90,
  dealDaysMax: 120,
  /** A deal lost at each of its three moves (proposal, negotiation, contract): ~0.61 of deals are won. Assumed. */
  lostAtMove: 0.15,
  /** Contract value in kopecks (150 000 – 3 000 000 RUB, any kopeck). Assumed. */
  valueMinMinor: 150_000_00,
  valueMaxMinor: 3_000_000_00,
  /** The client pays in 1–3 instalments. Assumed. */
  maxPayments: 3,
  /**
   * [seed] ~9 % of refusals come back by themselves after 3–6 months. Touches fall at ~75 and
   * ~164 days (policy: every 75 days, 14 to reply), so each of the first two answers "returned"
   * with p such that 1 − (1 − p)² ≈ 0.09.
   */
  returnedPerTouch: 1 - Math.sqrt(1 - 0.09),
  /** A touch answered with "no", or with an opt-out (the lead is closed). Assumed. */
  declinedPerTouch: 0.25,
  optOutPerTouch: 0.03,
} as const;

/** [seed] Seasonal dips: the May holidays, summer, the second half of December. The weights are assumed. */
export function seasonWeight(day: Date): number {
  const m = day.getUTCMonth() + 1;
  const d = day.getUTCDate();
  if (m === 5 && d <= 10) return 0.5;
  if (m === 7 || m === 8) return 0.75;
  if (m === 12 && d >= 15) return 0.6;
  return 1;
}

/** mulberry32: a small, fast PRNG with 32 bits of state — reproducible runs from one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One stream per lead (seed × lead number), so a lead's draws do not depend on the order leads are worked in. */
export const leadStream = (seed: number, n: number) => prng(Math.imul(seed ^ 0x9e3779b9, 2_654_435_761) ^ Math.imul(n + 1, 40_503));

export const between = (rng: () => number, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
