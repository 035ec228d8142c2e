// A partner's commission terms: the agreement in force, else the programme's default terms. Read
// by the commission and payout activities and by the API's statement alike.
import { Agreement, DEFAULT_TERMS } from '../../domain/commission';
import type { Db } from '../db';

/** `source: 'default'` when the partner has no agreement on record and DEFAULT_TERMS apply. */
export interface AgreementTerms {
  agreement: Agreement;
  holdingDays: number;
  minPayoutMinor: number;
  source: 'agreement' | 'default';
}

export async function agreementOf(db: Db, partnerId: string): Promise<AgreementTerms> {
  const row = await db.partnerAgreement.findFirst({ where: { partnerId, active: true }, orderBy: { createdAt: 'desc' } });
  if (!row)
    return {
      agreement: DEFAULT_TERMS.agreement,
      holdingDays: DEFAULT_TERMS.holdingDays,
      minPayoutMinor: DEFAULT_TERMS.minPayoutMinor,
      source: 'default',
    };
  return {
    source: 'agreement',
    agreement: Agreement.parse({
      model: row.model,
      percentBps: row.percentBps ?? undefined,
      fixedFeeMinor: row.fixedFeeMinor === null ? undefined : Number(row.fixedFeeMinor),
      tiers: row.tiers ?? undefined,
      currency: row.currency,
    }),
    holdingDays: row.holdingDays,
    minPayoutMinor: Number(row.minPayoutMinor),
  };
}
