// A wait with a deadline set by policy (domain/deadlines.ts), re-armed when a new policy version moves it.
import * as wf from '@temporalio/workflow';
import { dueOf as deadlineOf, type WaitKind } from '../../domain/deadlines';
import { transition } from '../../domain/lifecycle';
import type { LeadPolicy } from '../../domain/policy';
import { type LeadRun, SYSTEM } from '../lead-run';

/** A deadline as `deadline_moved` names it: to the minute, UTC. */
export const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

/**
 * Waits until `done` or until the deadline of `kind`, counted from `from` in the policy in force
 * (domain/deadlines.ts). Since 'policy-rearms-waits' a new policy version that moves the deadline
 * wakes the wait: the move is recorded with the version it came from (`deadline_moved`) and the
 * timer re-armed, once per move. (The SLA ladder, awaitManager, has its own loop: its anchor moves
 * with every touch.) `armed` hears each deadline as it is armed. True when `done` came first.
 */
export async function waitUntilDue(
  run: LeadRun,
  kind: WaitKind,
  from: number,
  done: () => boolean,
  what: () => string,
  armed?: (at: number) => void,
  dealStage?: keyof LeadPolicy['dealStageTimeouts'],
): Promise<boolean> {
  const { s } = run;
  const { named } = run.visibility;
  const rearm = wf.patched('policy-rearms-waits');
  for (;;) {
    const due = deadlineOf(run.policy, kind, from, dealStage);
    armed?.(due);
    const gen = run.policyGen;
    const moved = () => rearm && run.policyGen !== gen && deadlineOf(run.policy, kind, from, dealStage) !== due;
    if (!(await wf.condition(() => done() || moved(), Math.max(1, due - Date.now()), named(what())))) return false;
    if (done()) return true;
    transition(s, {
      type: 'deadline_moved',
      actor: SYSTEM,
      reason: `${what()}: ${iso(due)} → ${iso(deadlineOf(run.policy, kind, from, dealStage))}${run.fromPolicy()}`,
      now: Date.now(),
    });
  }
}
