// Issue 16's targets as one compact table: each with PASS or MISS and the figure of the same run it
// is read against (the bare client's or the floor's), and the same rows for the results JSON.
import { describeCpu } from './cpu';
import type { BurstFigures, MemoryFigures, ProcessingFigures } from './scale';
import { SCALE_TARGETS } from './scale';

export interface ScaleTarget {
  name: string;
  value: number | undefined;
  target: string;
  against: string;
  pass: boolean;
}

const INTAKE_RATIO = 0.85;

export function scaleTargets(f: {
  processing?: ProcessingFigures;
  burst?: BurstFigures;
  memory?: MemoryFigures;
  intakeRatio?: number;
  /** What the intake ratio is read against (bench/run.ts says which paths it compares). */
  intakeAgainst?: string;
}): ScaleTarget[] {
  const rows: ScaleTarget[] = [];
  if (f.memory) {
    const m = f.memory;
    rows.push({
      name: 'worker RSS, 20,000 open leads (MiB)',
      value: m.rssMiBAt20k,
      target: `≤ ${SCALE_TARGETS.rssMiBAt20k}`,
      pass: m.pass.rss,
      against: m.extrapolated
        ? `measured at ${m.openLeads} leads opened by this phase (cache ${m.maxCachedWorkflows}; evicted leads cost nothing), flat beyond the cache`
        : `measured at ${m.openLeads} open leads (cache ${m.maxCachedWorkflows})`,
    });
    rows.push({
      name: 'Update on an evicted lead, one at a time, p99 (ms)',
      value: m.evictedUpdate.latencyMs.p99,
      target: `≤ ${SCALE_TARGETS.evictedUpdateP99Ms}`,
      pass: m.pass.evictedUpdate,
      against: `bare client; p50 ${m.evictedUpdate.latencyMs.p50} ms, each replayed from its history (${m.openLeads} opened > cache ${m.maxCachedWorkflows})`,
    });
  }
  if (f.processing) {
    const p = f.processing;
    rows.push({
      name: 'leads processed per second vs floor',
      value: p.ratio,
      target: `≥ ${SCALE_TARGETS.processingRatio}`,
      pass: p.pass,
      against: `lead ${p.lead.perSecond}/s vs floor of the same shape ${p.floor.perSecond}/s (${p.n} each); the lead's own shape, local activities one after another, ${p.lowestFloor.perSecond}/s bare (${p.ratioVsLowest}×)`,
    });
  }
  if (f.intakeRatio !== undefined) {
    rows.push({
      name: 'intake through the API vs bare client',
      value: f.intakeRatio,
      target: `≥ ${INTAKE_RATIO}`,
      pass: f.intakeRatio >= INTAKE_RATIO,
      against: f.intakeAgainst ?? 'throughput ratio, same run',
    });
  }
  if (f.burst) {
    const b = f.burst;
    rows.push({
      name: 'staff Update during a 2× intake burst, p99 (ms)',
      value: b.update.latencyMs.p99,
      target: `≤ ${SCALE_TARGETS.burstUpdateP99Ms}`,
      pass: b.pass,
      against: `burst ${b.ratePerSecond}/s for ${b.seconds} s: ${b.intake.created} taken, ${b.intake.deferred} deferred (429); Update p50 ${b.update.latencyMs.p50} ms; bare client alongside p50 ${b.updateRaw.latencyMs.p50} / p99 ${b.updateRaw.latencyMs.p99} ms`,
    });
  }
  return rows;
}

export function printScale(
  rows: ScaleTarget[],
  f: { processing?: ProcessingFigures; burst?: BurstFigures; memory?: MemoryFigures; intakeDeferred: number },
): void {
  if (rows.length === 0) return;
  console.log('\nScale (issue 16)');
  for (const r of rows) {
    const value = r.value === undefined ? '?' : String(r.value);
    console.log(`  ${r.pass ? 'PASS' : 'MISS'}  ${r.name.padEnd(52)} ${value.padStart(8)}  (target ${r.target}; ${r.against})`);
  }
  if (f.memory)
    console.log(`  worker RSS by open leads: ${f.memory.rssMiB.map((x) => `${x.openLeads}→${x.worker ?? '?'} MiB`).join(', ')}`);
  if (f.processing && Object.values(f.processing.cpuPerLead).some((v) => v > 0))
    console.log(
      `  CPU ms by process, per lead: ${describeCpu(f.processing.cpuPerLead)}; per floor workflow: ${describeCpu(f.processing.cpuPerFloor)}`,
    );
  if (f.intakeDeferred)
    console.log(`  intake phase: ${f.intakeDeferred} POST /leads deferred by admission control (429, retried after 1 s)`);
  const breakdowns = [
    ['evicted', f.memory?.evictedUpdateBreakdown],
    ['burst, bare', f.burst?.updateRawBreakdown],
  ] as const;
  for (const [what, bd] of breakdowns) {
    if (!bd) continue;
    const part = (x: { p50: number; p90: number }) => `${x.p50} / ${x.p90}`;
    console.log(
      `  ${what} Updates by part from history (p50 / p90 ms, ${bd.found} of ${bd.sent}): before their task ${part(bd.before)}, ` +
        `task queued ${part(bd.queue)}, at the worker ${part(bd.worker)}, reply ${part(bd.reply)}`,
    );
    const slow = (bd.slowest ?? []).map((x) => `${x.totalMs} (${x.before} + ${x.queue} + ${x.worker} + ${x.reply})`);
    if (slow.length) console.log(`    the slowest, ms (before + queued + worker + reply): ${slow.join(', ')}`);
  }
  for (const s of f.burst?.intake.samples ?? []) console.log(`  burst intake failure: ${s}`);
}
