// The lead list, the API's hottest read, as one SQL statement on the read model's pg pool:
// only the filters asked for, a keyset cursor, timestamps formatted by PostgreSQL. Prisma's
// findMany spent most of the request's CPU here (query planning and result mapping in JS).
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';

export type SortField = 'createdAt' | 'stageChangedAt';

export interface LeadListQuery {
  stage?: string;
  managerId?: string;
  partnerId?: string;
  source?: string;
  stale?: boolean;
  createdFrom?: Date;
  createdTo?: Date;
  /** A partner sees only the leads offered to it. */
  offeredTo?: string;
  sort: { field: SortField; dir: 'asc' | 'desc' };
  /** Keyset: the sort value (ISO instant) and id of the last row of the previous page. */
  after?: { v: string; id: string };
  limit: number;
}

export interface LeadListRow {
  id: string;
  kind: string;
  stage: string;
  sourceChannel: string;
  sourcePartnerId: string | null;
  managerId: string | null;
  partnerId: string | null;
  topic: string | null;
  region: string | null;
  stale: boolean;
  dealValueMinor: number | null;
  currency: string | null;
  createdAt: string;
  stageChangedAt: string;
}

const COLUMN: Record<SortField, string> = { createdAt: 'created_at', stageChangedAt: 'stage_changed_at' };
// Timestamps are stored as UTC without a zone (Prisma's convention); formatted here, they never
// pass through the process's local time zone.
const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const SELECT = `SELECT id, kind, stage, source_channel AS "sourceChannel", source_partner_id AS "sourcePartnerId",
  manager_id AS "managerId", partner_id AS "partnerId", topic, region, stale, deal_value_minor::float8 AS "dealValueMinor",
  currency, ${iso('created_at')} AS "createdAt", ${iso('stage_changed_at')} AS "stageChangedAt" FROM leads`;

/** One page, plus whether there is another after it. */
export async function listLeads(pool: Pool, q: LeadListQuery): Promise<{ rows: LeadListRow[]; more: boolean }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  if (q.stage !== undefined) where.push(`stage = ${param(q.stage)}`);
  if (q.managerId !== undefined) where.push(`manager_id = ${param(q.managerId)}`);
  if (q.partnerId !== undefined) where.push(`partner_id = ${param(q.partnerId)}`);
  if (q.source !== undefined) where.push(`source_channel = ${param(q.source)}`);
  if (q.stale !== undefined) where.push(`stale = ${param(q.stale)}`);
  if (q.createdFrom) where.push(`created_at >= ${param(q.createdFrom.toISOString())}::timestamp`);
  if (q.createdTo) where.push(`created_at < ${param(q.createdTo.toISOString())}::timestamp`);
  if (q.offeredTo !== undefined)
    where.push(`EXISTS (SELECT 1 FROM partner_offers o WHERE o.lead_id = leads.id AND o.partner_id = ${param(q.offeredTo)})`);
  const col = COLUMN[q.sort.field];
  const dir = q.sort.dir === 'desc' ? 'DESC' : 'ASC';
  if (q.after) where.push(`(${col}, id) ${dir === 'DESC' ? '<' : '>'} (${param(q.after.v)}::timestamp, ${param(q.after.id)})`);
  const text = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${col} ${dir}, id ${dir} LIMIT ${param(q.limit + 1)}`;
  // Named, so each connection parses and plans each shape of the query once.
  const name = `leads-list-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  const res = await pool.query<LeadListRow>({ name, text, values });
  return { rows: res.rows.slice(0, q.limit), more: res.rows.length > q.limit };
}
