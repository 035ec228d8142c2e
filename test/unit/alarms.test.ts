// The alarm rules (domain/alarms.ts): each alarm fires on a population built to trip it and not
// on one built not to; the two-proportion z-test and its minimum sample; declared low seasons
// move the thresholds, and the alarm says which threshold it was judged against.
import {
  activeSeason,
  AlarmPolicy,
  type AlarmPolicyInput,
  defaultAlarmPolicy,
  effectiveThresholds,
  evaluateLeadsRotting,
  evaluateLowTargetShare,
  evaluateManagerConversion,
  evaluateNotDistributed,
  evaluatePartnerReportDrift,
  evaluateStopContactOverdue,
  type OpenLead,
  type ReachedLead,
  twoProportionZ,
} from '../../domain/alarms';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A Wednesday in October: no low season. */
const NOW = new Date('2026-10-14T09:00:00Z');
/** Mid-July: summer, a declared low season. */
const SUMMER = new Date('2026-07-15T09:00:00Z');
const policy = defaultAlarmPolicy();
const ago = (ms: number, now = NOW) => new Date(now.getTime() - ms);

test('the policy defaults are the domain figures', () => {
  expect(policy).toMatchObject({
    utcOffsetMinutes: 180,
    notDistributed: { olderThanMinutes: 60, windowMinutes: 60, minLeads: 1 },
    leadsRotting: { staleAfterBusinessDays: 2, minLeads: 1 },
    lowTargetShare: { windowDays: 30, floor: 0.6, minReached: 30, countUndecided: false },
    managerConversion: { windowDays: 30, zThreshold: 3, minSample: 20 },
    partnerReportDrift: { windowDays: 30, tolerance: 0.1, minSent: 10 },
    seasonality: {
      lowSeasons: [
        { name: 'may_holidays', from: '05-01', to: '05-11' },
        { name: 'summer', from: '06-01', to: '08-31' },
        { name: 'late_december', from: '12-15', to: '12-31' },
      ],
    },
  });
  expect(() => AlarmPolicy.parse({ seasonality: { lowSeasons: [{ name: 'x', from: '13-01', to: '12-31' }] } })).toThrow();
  expect(() => AlarmPolicy.parse({ lowTargetShare: { floor: 1.5 } })).toThrow();
});

describe('not distributed (team overloaded)', () => {
  const lead = (id: string, ageMs: number, stage = 'awaiting_first_contact') => ({ leadId: id, stage, createdAt: ago(ageMs) });

  test('fires on a lead left without a manager past the hour, or one the workflow could not give to anyone', () => {
    const alarms = evaluateNotDistributed(
      {
        unassigned: [lead('L1', 2 * HOUR), lead('L2', 61 * MINUTE, 'received')],
        events: [
          { leadId: 'L3', at: ago(10 * MINUTE) },
          { leadId: 'L1', at: ago(5 * MINUTE) },
        ],
      },
      policy,
      NOW,
    );
    expect(alarms).toEqual([
      {
        kind: 'not_distributed',
        subject: 'all',
        evidence: {
          leads: 3,
          unassigned: 2,
          notDistributedEvents: 2,
          oldestUnassignedAt: ago(2 * HOUR).toISOString(),
          leadIds: ['L1', 'L2', 'L3'],
        },
        threshold: { minLeads: 1, olderThanMinutes: 60, windowMinutes: 60 },
      },
    ]);
  });

  test('does not fire on fresh leads, leads past assignment, or old events', () => {
    expect(
      evaluateNotDistributed(
        {
          unassigned: [lead('young', 30 * MINUTE), lead('in-deal', 5 * DAY, 'deal'), lead('closed', 5 * DAY, 'closed')],
          events: [{ leadId: 'earlier', at: ago(2 * HOUR) }],
        },
        policy,
        NOW,
      ),
    ).toEqual([]);
  });

  test('the count threshold', () => {
    const input = { unassigned: [lead('L1', 2 * HOUR), lead('L2', 2 * HOUR)], events: [] };
    const strict = AlarmPolicy.parse({ notDistributed: { minLeads: 3 } });
    expect(evaluateNotDistributed(input, strict, NOW)).toEqual([]);
    expect(evaluateNotDistributed({ ...input, unassigned: [...input.unassigned, lead('L3', 3 * HOUR)] }, strict, NOW)).toHaveLength(1);
  });
});

describe('leads rotting, per manager', () => {
  const open = (id: string, managerId: string | null, stageAgeMs: number, over: Partial<OpenLead> = {}): OpenLead => ({
    leadId: id,
    managerId,
    stage: 'qualifying',
    stale: false,
    stageChangedAt: ago(stageAgeMs),
    ...over,
  });

  // NOW is a Wednesday, 12:00 in Moscow: two business days back is Monday 12:00.
  test('one alarm per manager with rotting leads: stale-flagged, or in the same stage past 2 business days', () => {
    const alarms = evaluateLeadsRotting(
      [
        open('a1', 'anna', 4 * DAY),
        open('a2', 'anna', 10 * DAY, { stage: 'awaiting_first_contact' }),
        open('a3', 'anna', 1 * HOUR, { stale: true }), // the SLA ladder flagged it
        open('a4', 'anna', 1 * DAY), // worked yesterday
        open('a5', 'anna', 30 * DAY, { stage: 'deal' }), // deals have their own check-ins
        open('b1', 'boris', 47 * HOUR),
        open('b2', 'boris', 1.9 * DAY, { stage: 'awaiting_consent' }),
        open('x1', null, 9 * DAY), // nobody's: the not-distributed alarm's business
      ],
      policy,
      NOW,
    );
    expect(alarms).toEqual([
      {
        kind: 'leads_rotting',
        subject: 'anna',
        evidence: {
          leads: 3,
          flaggedStale: 1,
          oldestStageChangeAt: ago(10 * DAY).toISOString(),
          byStage: { awaiting_first_contact: 1, qualifying: 2 },
          leadIds: ['a2', 'a1', 'a3'],
        },
        threshold: { businessDays: 2, baseBusinessDays: 2, season: null, seasonFactor: 1, minLeads: 1, orStaleFlag: true },
      },
    ]);
  });

  test('counted in business time, like the SLA: a weekend does not rot a lead', () => {
    const friday = new Date('2026-10-09T12:00:00Z'); // Friday 15:00 in Moscow
    const touched = [open('a1', 'anna', 0, { stageChangedAt: friday })];
    // Monday 23:00: three calendar days and more, but only 12 working hours.
    expect(evaluateLeadsRotting(touched, policy, new Date('2026-10-12T20:00:00Z'))).toEqual([]);
    // Tuesday 15:00: two business days.
    expect(evaluateLeadsRotting(touched, policy, new Date('2026-10-13T12:00:00Z'))).toHaveLength(1);
  });

  test('a manager whose leads are all worked within 2 business days has none', () => {
    expect(evaluateLeadsRotting([open('b1', 'boris', 1 * DAY), open('b2', 'boris', 47 * HOUR)], policy, NOW)).toEqual([]);
  });

  test('in a low season the threshold is multiplied: a lead 2 business days in its stage is not yet rotting in July', () => {
    // SUMMER is a Wednesday too.
    const july = [open('a1', 'anna', 0, { stageChangedAt: ago(2 * DAY + HOUR, SUMMER) })];
    expect(evaluateLeadsRotting(july, AlarmPolicy.parse({ seasonality: { lowSeasons: [] } }), SUMMER)).toHaveLength(1); // no season declared
    expect(evaluateLeadsRotting(july, policy, SUMMER)).toEqual([]);
    const older = [open('a1', 'anna', 0, { stageChangedAt: ago(6 * DAY, SUMMER) })];
    expect(evaluateLeadsRotting(older, policy, SUMMER)[0]!.threshold).toEqual({
      businessDays: 3,
      baseBusinessDays: 2,
      season: 'summer',
      seasonFactor: 1.5,
      minLeads: 1,
      orStaleFlag: true,
    });
  });
});

/** `target` of `n` leads reached by `managerId` in the window (decided), ids prefixed by the manager. */
function cohort(managerId: string | null, n: number, target: number, now = NOW, over: Partial<ReachedLead> = {}): ReachedLead[] {
  return Array.from({ length: n }, (_, i) => ({
    leadId: `${managerId ?? 'none'}-${i}`,
    managerId,
    reachedAt: ago((1 + (i % 20)) * DAY, now),
    outcome: i < target ? ('target' as const) : ('non_target' as const),
    ...over,
  }));
}

describe('low target share', () => {
  test('fires when fewer than 60% of the reached leads are target', () => {
    const alarms = evaluateLowTargetShare([...cohort('anna', 20, 10), ...cohort('boris', 20, 10)], policy, NOW);
    expect(alarms).toEqual([
      {
        kind: 'low_target_share',
        subject: 'all',
        evidence: {
          share: 0.5,
          target: 20,
          reached: 40,
          counted: 40,
          nonTarget: 20,
          otherOutcome: 0,
          undecided: 0,
          from: ago(30 * DAY).toISOString(),
          to: NOW.toISOString(),
        },
        threshold: { floor: 0.6, baseFloor: 0.6, season: null, seasonFactor: 1, minReached: 30, windowDays: 30, countUndecided: false },
      },
    ]);
  });

  test('does not fire at the program’s usual 60–68%, on too small a sample, or on leads reached before the window', () => {
    expect(evaluateLowTargetShare([...cohort('anna', 20, 13), ...cohort('boris', 20, 13)], policy, NOW)).toEqual([]); // 65%
    expect(evaluateLowTargetShare(cohort('anna', 24, 12), policy, NOW)).toEqual([]); // 50%, but 24 < 30 reached
    const old = cohort('old', 40, 0).map((r) => ({ ...r, reachedAt: ago(40 * DAY) }));
    expect(evaluateLowTargetShare([...cohort('anna', 30, 20), ...old], policy, NOW)).toEqual([]);
  });

  test('leads still being qualified are not counted as non-target (unless the policy says so)', () => {
    const reached = [...cohort('anna', 30, 20), ...cohort('fresh', 10, 0, NOW, { outcome: 'undecided' })]; // 20/30 decided
    expect(evaluateLowTargetShare(reached, policy, NOW)).toEqual([]);
    const counting = AlarmPolicy.parse({ lowTargetShare: { countUndecided: true } });
    expect(evaluateLowTargetShare(reached, counting, NOW)[0]!.evidence).toMatchObject({ share: 0.5, counted: 40, undecided: 10 });
  });

  test('a declared season lowers the floor: 55% fires in October, not in July (floor 0.6 × 0.85 = 0.51)', () => {
    expect(evaluateLowTargetShare(cohort('anna', 40, 22), policy, NOW)).toHaveLength(1);
    expect(evaluateLowTargetShare(cohort('anna', 40, 22, SUMMER), policy, SUMMER)).toEqual([]);
    const [summer] = evaluateLowTargetShare(cohort('anna', 40, 16, SUMMER), policy, SUMMER); // 40% fires even so
    expect(summer!.threshold).toMatchObject({ floor: 0.51, baseFloor: 0.6, season: 'summer', seasonFactor: 0.85 });
    // Seasons are configurable: without declared seasons July is judged like October.
    const noSeasons = AlarmPolicy.parse({ seasonality: { lowSeasons: [] } });
    expect(evaluateLowTargetShare(cohort('anna', 40, 22, SUMMER), noSeasons, SUMMER)).toHaveLength(1);
  });
});

describe('manager conversion anomaly (two-proportion z-test against the rest of the team)', () => {
  const team = () => ['anna', 'boris', 'vera', 'gleb'].flatMap((m) => cohort(m, 40, 24)); // 60% each

  test('the z statistic', () => {
    // 30/40 vs 60/120: pooled 0.5625, se = sqrt(0.5625 × 0.4375 × (1/40 + 1/120)) = 0.090571
    expect(twoProportionZ(30, 40, 60, 120)).toBeCloseTo(2.7603, 4);
    expect(twoProportionZ(10, 40, 60, 120)).toBeCloseTo(-2.7603, 4);
    expect(twoProportionZ(0, 40, 0, 120)).toBeUndefined(); // nobody converts: nothing to compare
    expect(twoProportionZ(40, 40, 120, 120)).toBeUndefined();
    expect(twoProportionZ(1, 0, 1, 10)).toBeUndefined();
  });

  test('too high fires', () => {
    const alarms = evaluateManagerConversion([...team(), ...cohort('dima', 40, 38)], policy, NOW);
    expect(alarms).toEqual([
      {
        kind: 'manager_conversion_anomaly',
        subject: 'dima',
        evidence: {
          direction: 'high',
          z: expect.closeTo(4.21, 2),
          manager: { reached: 40, target: 38, conversion: 0.95 },
          restOfTeam: { reached: 160, target: 96, conversion: 0.6 },
          from: ago(30 * DAY).toISOString(),
          to: NOW.toISOString(),
        },
        threshold: {
          metric: 'target/reached',
          test: 'two-proportion z (pooled), manager vs rest of team',
          zAbs: 3,
          minSample: 20,
          windowDays: 30,
          countUndecided: false,
        },
      },
    ]);
  });

  test('too low fires', () => {
    const alarms = evaluateManagerConversion([...team(), ...cohort('dima', 40, 8)], policy, NOW);
    expect(alarms.map((a) => [a.subject, a.evidence.direction])).toEqual([['dima', 'low']]);
    expect(alarms[0]!.evidence.z).toBeLessThanOrEqual(-3);
  });

  test('a team within chance fires nothing; the verdict depends on the sample, not a fixed cut-off', () => {
    expect(evaluateManagerConversion(team(), policy, NOW)).toEqual([]);
    // 75% against 60% is chance on 40 leads (z ≈ 1.76) …
    expect(evaluateManagerConversion([...team(), ...cohort('dima', 40, 30)], policy, NOW)).toEqual([]);
    // … and an anomaly on 400 (z ≈ 5.6) against a team with as many.
    const big = ['anna', 'boris', 'vera', 'gleb'].flatMap((m) => cohort(m, 400, 240));
    expect(evaluateManagerConversion([...big, ...cohort('dima', 400, 300)], policy, NOW).map((a) => a.subject)).toEqual(['dima']);
  });

  test('the minimum sample: 19 reached leads are not judged, 20 are', () => {
    // All target: z ≈ 3.44 on 19, 3.52 on 20 — only the sample size differs.
    expect(evaluateManagerConversion([...team(), ...cohort('dima', 19, 19)], policy, NOW)).toEqual([]);
    expect(evaluateManagerConversion([...team(), ...cohort('dima', 20, 20)], policy, NOW).map((a) => a.subject)).toEqual(['dima']);
    // The rest of the team needs the minimum too: two managers, one with 10 leads, judge nobody.
    expect(evaluateManagerConversion([...cohort('anna', 40, 38), ...cohort('boris', 10, 0)], policy, NOW)).toEqual([]);
  });

  test('leads outside the window, without a manager or still undecided are left out', () => {
    const noise = [
      ...cohort('dima', 40, 0).map((r) => ({ ...r, reachedAt: ago(45 * DAY) })),
      ...cohort(null, 40, 0),
      ...cohort('dima', 40, 0, NOW, { outcome: 'undecided' }).map((r) => ({ ...r, leadId: `u-${r.leadId}` })),
    ];
    expect(evaluateManagerConversion([...team(), ...cohort('dima', 40, 24), ...noise], policy, NOW)).toEqual([]);
  });
});

describe('partner report drift', () => {
  const counts = (partnerId: string, sent: number, received: number) => ({ partnerId, sent, received, from: ago(30 * DAY), to: NOW });

  test('fires above 10% either way, with at least 10 sent', () => {
    const alarms = evaluatePartnerReportDrift(
      [
        counts('p-lossy', 20, 17), // 15% fewer received
        counts('p-fine', 20, 19), // 5%
        counts('p-small', 9, 0), // too few to judge
        counts('p-extra', 10, 12), // 20% more received than reported
        counts('p-edge', 10, 9), // exactly 10%: not above
      ],
      policy,
      NOW,
    );
    expect(alarms.map((a) => [a.subject, a.evidence.direction, a.evidence.drift])).toEqual([
      ['p-extra', 'more_received', 0.2],
      ['p-lossy', 'fewer_received', 0.15],
    ]);
    expect(alarms[1]).toEqual({
      kind: 'partner_report_drift',
      subject: 'p-lossy',
      evidence: {
        sent: 20,
        received: 17,
        drift: 0.15,
        direction: 'fewer_received',
        from: ago(30 * DAY).toISOString(),
        to: NOW.toISOString(),
      },
      threshold: { tolerance: 0.1, baseTolerance: 0.1, season: null, seasonFactor: 1, minSent: 10, windowDays: 30 },
    });
  });

  test('in a low season the tolerance widens: 14% fires in October, not in the May holidays', () => {
    const may = new Date('2026-05-06T09:00:00Z');
    expect(evaluatePartnerReportDrift([counts('p', 50, 43)], policy, NOW)).toHaveLength(1);
    expect(evaluatePartnerReportDrift([counts('p', 50, 43)], policy, may)).toEqual([]);
    expect(evaluatePartnerReportDrift([counts('p', 50, 40)], policy, may)[0]!.threshold).toMatchObject({
      tolerance: 0.15,
      season: 'may_holidays',
      seasonFactor: 1.5,
    });
  });
});

describe('seasons', () => {
  const season = (iso: string, over: AlarmPolicyInput = {}) => activeSeason(AlarmPolicy.parse(over), new Date(iso))?.name;

  test('declared low seasons, by the business day in Moscow, inclusive', () => {
    expect(season('2026-04-30T20:59:00Z')).toBeUndefined(); // 23:59 on 30 April in Moscow
    expect(season('2026-04-30T21:00:00Z')).toBe('may_holidays'); // 00:00 on 1 May
    expect(season('2026-05-11T20:00:00Z')).toBe('may_holidays');
    expect(season('2026-05-12T09:00:00Z')).toBeUndefined();
    expect(season('2026-06-01T09:00:00Z')).toBe('summer');
    expect(season('2026-08-31T20:00:00Z')).toBe('summer');
    expect(season('2026-09-01T09:00:00Z')).toBeUndefined();
    expect(season('2026-12-14T09:00:00Z')).toBeUndefined();
    expect(season('2026-12-15T09:00:00Z')).toBe('late_december');
    expect(season('2026-12-31T20:00:00Z')).toBe('late_december'); // 23:00 in Moscow
    expect(season('2026-12-31T21:00:00Z')).toBeUndefined(); // New Year in Moscow
  });

  test('configurable, including a season across the new year', () => {
    const winter = { seasonality: { lowSeasons: [{ name: 'new_year', from: '12-25', to: '01-10' }] } };
    expect(season('2027-01-05T09:00:00Z', winter)).toBe('new_year');
    expect(season('2026-12-28T09:00:00Z', winter)).toBe('new_year');
    expect(season('2026-07-15T09:00:00Z', winter)).toBeUndefined();
    const eff = effectiveThresholds(
      AlarmPolicy.parse({ ...winter, seasonality: { ...winter.seasonality, rottingDaysFactor: 2 } }),
      new Date('2027-01-05T09:00:00Z'),
    );
    expect(eff).toMatchObject({ season: 'new_year', rottingBusinessDays: 4, targetShareFloor: 0.51, driftTolerance: 0.15 });
  });
});

test('a stop-contact order past its deadline without a confirmation: one alarm per lead, naming its overdue partners', () => {
  const order = (leadId: string, partnerId: string, dueAt: Date) => ({ leadId, partnerId, taskKey: `${leadId}:7:${partnerId}`, dueAt });
  const alarms = evaluateStopContactOverdue(
    [
      order('lead-b', 'ptn-2', ago(2 * HOUR)),
      order('lead-b', 'ptn-1', ago(5 * HOUR)),
      order('lead-a', 'ptn-3', new Date(NOW.getTime() + HOUR)), // not due yet
      order('lead-c', 'ptn-1', NOW), // due this instant: overdue
    ],
    NOW,
  );
  expect(alarms.map((a) => [a.kind, a.subject, a.evidence.partners, a.evidence.dueAt, a.evidence.hoursOverdue])).toEqual([
    ['stop_contact_overdue', 'lead-b', ['ptn-1', 'ptn-2'], ago(5 * HOUR).toISOString(), 5],
    ['stop_contact_overdue', 'lead-c', ['ptn-1'], NOW.toISOString(), 0],
  ]);
  expect(evaluateStopContactOverdue([order('lead-a', 'ptn-3', new Date(NOW.getTime() + 1))], NOW)).toEqual([]);
});
