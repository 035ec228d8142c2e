// The lead waits on its manager (verification, first contact, qualification): a manager is picked
// (assignment), then the SLA ladder runs while nobody touches the lead — a reminder to the owner, an
// escalation to the team lead, then stale and reassigned (domain/sla-ladder.ts, domain/deadlines.ts;
// staleness itself: domain/staleness.ts). A new policy that moves the deadline re-arms the wait.
import * as wf from '@temporalio/workflow';
import { ladderDue } from '../../domain/deadlines';
import { type Stage, TERMINAL, transition } from '../../domain/lifecycle';
import { ladderStepText } from '../../domain/sla-ladder';
import { acts, type LeadRun, SYSTEM } from '../lead-run';
import { iso } from './wait';

/** Picks a manager automatically; with nobody free, ops are told once and the lead waits for a roster change. */
export async function assign(run: LeadRun, exclude: string[]): Promise<void> {
  const { s } = run;
  const { named } = run.visibility;
  let told = false;
  for (let attempt = 0; ; attempt++) {
    const before = s.managerId;
    const a = await acts.assignManager({ leadId: s.leadId, exclude, decision: run.decisionKey('assign', attempt) });
    // Staff reassigned the lead while the pick was under way: their choice stands, and their
    // reassignment made the new owner's task. Before this patch the pick overwrote it.
    if (s.managerId !== before && wf.patched('staff-assignment-stands')) return;
    if (a) {
      if (a.policy && run.input.policyVersion) run.adoptPolicy(a.policy, `team of ${a.managerId}`);
      s.managerId = a.managerId;
      s.teamLeadId = a.teamLeadId;
      s.slaFrom = Date.now();
      transition(s, {
        type: exclude.length ? 'reassigned' : 'assigned',
        actor: SYSTEM,
        reason: `${a.managerId} (${a.reason})`,
        now: Date.now(),
      });
      const due = ladderDue(run.policy, Date.now(), 0); // the ladder's first step: the reminder
      const title = s.stage === 'verification' ? 'Verify the company inquiry: find the person' : 'Call the lead';
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: run.owner(),
        kind: 'first_contact',
        title: title + run.firstTaskNote(),
        dueAt: new Date(due).toISOString(),
      });
      return;
    }
    const waitForRoster = wf.patched('wait-for-roster-change');
    // Ops hear of it once per wait, not at every re-check.
    if (!waitForRoster || !told) {
      transition(s, { type: 'not_distributed', actor: SYSTEM, reason: 'no active manager available', now: Date.now() });
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: 'ops',
        kind: 'not_distributed',
        title: 'No manager available for a new lead',
      });
      told = true;
    }
    if (exclude.length) return; // keep the current owner rather than leave the lead ownerless
    if (waitForRoster) {
      // Before this patch the lead asked again every hour, for ever: 24 × 365 tries a year.
      const seen = run.rosterChanges;
      await wf.condition(
        () => TERMINAL.has(s.stage) || !!s.managerId || run.rosterChanges !== seen,
        run.policy.assignmentRecheck,
        named(`roster re-check in ${run.policy.assignmentRecheck}: no manager free`),
      );
    } else {
      await wf.condition(() => TERMINAL.has(s.stage) || !!s.managerId, '1 hour');
    }
    if (s.managerId || TERMINAL.has(s.stage)) return;
    if (run.historyIsLong()) await run.carryOn();
  }
}

/**
 * The SLA ladder while the lead waits on its manager, counted in business time from the last
 * touch: reminder to the owner → escalation to the team lead → stale, reassigned.
 */
export async function awaitManager(run: LeadRun, stage: Stage): Promise<void> {
  const { s } = run;
  const { named, slaDue } = run.visibility;
  let step = 0;
  let from = s.slaFrom;
  // Each step's deadline, counted from the anchor in the policy in force now.
  const dueOf = (n: number) => ladderDue(run.policy, from, n);
  while (s.stage === stage) {
    const fc = run.policy.firstContact;
    const due = dueOf(step);
    const what = ladderStepText(stage, step, fc);
    slaDue({ at: due, what });
    // A new policy wakes the wait only when it moves this deadline: the timer is re-armed once.
    const gen = run.policyGen;
    const moved = await wf.condition(
      () => s.stage !== stage || s.slaFrom !== from || (run.policyGen !== gen && dueOf(step) !== due),
      Math.max(1, due - Date.now()),
      named(what),
    );
    if (moved) {
      if (s.slaFrom !== from) {
        from = s.slaFrom;
        step = 0;
      } else if (s.stage === stage) {
        // Named as the new policy states the step ("after 2 working hours"), with the old and new deadline.
        const reason = `${ladderStepText(stage, step, run.policy.firstContact)}: ${iso(due)} → ${iso(dueOf(step))}${run.fromPolicy()}`;
        transition(s, { type: 'deadline_moved', actor: SYSTEM, reason, now: Date.now() });
      }
      continue;
    }
    if (step === 0) {
      transition(s, { type: 'sla_reminder', actor: SYSTEM, reason: `${stage} overdue${run.fromPolicy()}`, now: Date.now() });
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: run.owner(),
        kind: 'sla_reminder',
        title: 'Reminder: the lead is waiting for you',
      });
    } else if (step === 1) {
      const to = s.teamLeadId ? `team lead ${s.teamLeadId}` : 'ops';
      transition(s, { type: 'sla_escalated', actor: SYSTEM, reason: `to ${to}${run.fromPolicy()}`, now: Date.now() });
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: s.teamLeadId ? `team_lead:${s.teamLeadId}` : 'ops',
        kind: 'sla_escalation',
        title: 'Escalation: a lead is not being worked',
      });
    } else {
      s.stale = true;
      const untouched = `untouched ${fc.staleAfterBusinessDays} business days`;
      transition(s, { type: 'stale', actor: SYSTEM, reason: `${untouched}${run.fromPolicy()}`, now: Date.now() });
      // Since the parking patch: after a few stale reassignments the lead stops bouncing between
      // managers (and its history stops growing); ops are told once and the SLA waits for a touch.
      if ((s.staleReassignments ?? 0) >= fc.maxStaleReassignments && wf.patched('park-after-stale-reassignments')) {
        transition(s, {
          type: 'stale_parked',
          actor: SYSTEM,
          reason: `${s.staleReassignments} reassignments without a touch`,
          now: Date.now(),
        });
        await acts.createTask({
          key: run.taskKey(),
          leadId: s.leadId,
          assignee: 'ops',
          kind: 'stale_parked',
          title: 'A lead went stale with several managers: decide who works it',
        });
        slaDue(undefined); // parked: nothing falls due until someone touches it
        await wf.condition(() => s.stage !== stage || s.slaFrom !== from);
        continue;
      }
      const previous = s.managerId;
      await assign(run, previous ? [previous] : []);
      s.staleReassignments = (s.staleReassignments ?? 0) + 1;
      from = s.slaFrom = Date.now();
      step = -1;
    }
    step += 1;
    if (run.historyIsLong()) await run.carryOn();
  }
}
