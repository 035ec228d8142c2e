// What ops read of a lead in the Temporal Web UI besides its history: the summary and details it
// was started with (user metadata, fixed for the run), its current details (stage, manager, the
// deadline it waits on) and the names of its timers. Shared by the workflow and by the code that
// starts it (intake, the intake sweeper), so it imports nothing that cannot run in the sandbox.
// No personal data: names, phones and e-mails stay in PostgreSQL; the free-text fields shown
// (topic, region) are masked where a client typed contact details into them.
import type { LeadState } from '../domain/lifecycle';
import type { LeadWorkflowInput } from './lead';

/** The workflow input fields the start metadata is made of. */
export type LeadStartFacts = Pick<
  LeadWorkflowInput,
  'leadId' | 'kind' | 'sourceChannel' | 'partnerId' | 'region' | 'topic' | 'previousLeadId' | 'returnedAfterOptOut'
>;

/** The deadline a lead waits on: its manager's next SLA step, or a partner's answer to an offer. */
export interface SlaDue {
  at: number;
  what: string;
}

const EMAIL = /[^\s@,;:<>()]+@[^\s@,;:<>()]+/g;
// Seven or more digits, allowing the separators people type in phone numbers.
const PHONE = /\+?\d[\d\s()\-.]{5,}\d/g;

/** A free-text field fit for the Web UI: contact details masked, one line, bounded. */
export function masked(text: string | undefined, max = 60): string | undefined {
  if (!text) return undefined;
  const line = text.replace(EMAIL, '…').replace(PHONE, '…').replace(/\s+/g, ' ').trim();
  if (!line) return undefined;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Source · topic · region, the line ops read in the workflow list. */
export function staticSummaryOf(f: LeadStartFacts): string {
  const source = f.partnerId ? `${f.sourceChannel} (${f.partnerId})` : f.sourceChannel;
  const kind = f.kind === 'interest' ? 'company inquiry' : 'lead';
  return [source, masked(f.topic) ?? 'no topic', masked(f.region) ?? 'no region', kind].join(' · ');
}

/** The same facts, one per line (Temporal markdown), and where the contact data is instead. */
export function staticDetailsOf(f: LeadStartFacts): string {
  const lines = [
    `**Lead** \`${f.leadId}\` (${f.kind === 'interest' ? 'company inquiry: the person is found in verification' : 'lead'})`,
    `- Source: ${f.sourceChannel}${f.partnerId ? `, referred by partner \`${f.partnerId}\`` : ''}`,
    `- Topic: ${masked(f.topic, 200) ?? '—'}`,
    `- Region: ${masked(f.region, 100) ?? '—'}`,
  ];
  if (f.previousLeadId) {
    lines.push(`- Follows lead \`${f.previousLeadId}\`${f.returnedAfterOptOut ? ', which ended with an opt-out: this inquiry only' : ''}`);
  }
  lines.push('', 'Contact data is not in Temporal: `GET /leads/<id>/contact` (staff, or the partner that accepted it).');
  return lines.join('\n');
}

/** The start options that carry the metadata (every place that starts a lead spreads these in). */
export function leadStartMetadata(f: LeadStartFacts): { staticSummary: string; staticDetails: string } {
  return { staticSummary: staticSummaryOf(f), staticDetails: staticDetailsOf(f) };
}

/** What the lead is at now, for the Web UI's "current details" (Temporal markdown). */
// The start summary comes first: a run that continued as new has no static summary (neither the
// SDK's continue-as-new options nor the server carry it over), so its current details say it again.
export function currentDetailsOf(start: LeadStartFacts, s: LeadState, sla: SlaDue | undefined, staleSince: string | undefined): string {
  const stage = s.stage === 'deal' && s.dealStage ? `deal (${s.dealStage})` : s.stage;
  const lines = [`**Lead:** ${staticSummaryOf(start)}`, `**Stage:** ${stage}`];
  if (s.closedReason) lines.push(`**Closed:** ${s.closedReason}`);
  lines.push(`**Manager:** ${s.managerId ?? 'none yet'}${s.teamLeadId ? ` (team lead ${s.teamLeadId})` : ''}`);
  const pending = s.offers.filter((o) => o.status === 'pending').map((o) => o.partnerId);
  if (pending.length) lines.push(`**Offered to:** ${pending.join(', ')}`);
  if (s.dealOwner?.kind === 'partner') lines.push(`**Deal with partner:** ${s.dealOwner.partnerId}`);
  lines.push(`**SLA due:** ${sla ? `${new Date(sla.at).toISOString()} (${sla.what})` : 'nothing due'}`);
  if (staleSince) lines.push(`**Stale since:** ${staleSince}`);
  if (s.stage === 'reengagement') lines.push(`**Re-engagement attempt:** ${s.reengagement.attempt}`);
  return lines.join('\n');
}

/** When the lead last went stale, while it still is (its latest `stale` transition). */
export function staleSinceOf(s: LeadState): string | undefined {
  if (!s.stale) return undefined;
  for (let i = s.history.length - 1; i >= 0; i -= 1) if (s.history[i]!.type === 'stale') return s.history[i]!.at;
  return undefined;
}
