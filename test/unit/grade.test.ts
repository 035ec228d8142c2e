// The partner grade formula (domain/grade.ts): weighted components on the 1..5 scale, a point
// off per unresolved conflict, and no move at all below the minimum sample.
import fc from 'fast-check';
import { computeGrade, type GradeInputs, median, MIN_FEEDBACKS, speedPoints } from '../../domain/grade';

const feedback = (score: number, n = 3, kept = n) => Array.from({ length: n }, (_, i) => ({ score, deadlinesKept: i < kept }));
const base: GradeInputs = { current: 3, feedback: feedback(5), answerHours: [1, 2, 3], accepted: 4, won: 2, unresolvedConflicts: 0 };

test('a partner clients love, that answers fast and wins half its leads, is a 5', () => {
  const r = computeGrade(base);
  expect(r).toMatchObject({ grade: 5, sampled: true, components: { feedback: 5, deadlines: 5, speed: 5, winRate: 5 } });
  expect(r.score).toBeCloseTo(5);
});

test('the formula by hand: 0.40·feedback + 0.25·deadlines + 0.15·speed + 0.20·win rate', () => {
  // feedback 4, deadlines 2 of 3 kept → 1 + 4·⅔, median answer 30 h → 3, win rate 1/4 → 1 + 4·0.5 = 3.
  const r = computeGrade({
    ...base,
    feedback: [
      { score: 5, deadlinesKept: true },
      { score: 4, deadlinesKept: true },
      { score: 3, deadlinesKept: false },
    ],
    answerHours: [2, 30, 100],
    won: 1,
  });
  const expected = 0.4 * 4 + 0.25 * (1 + 4 * (2 / 3)) + 0.15 * 3 + 0.2 * 3;
  expect(r.score).toBeCloseTo(expected);
  expect(r.grade).toBe(Math.round(expected)); // 3.52 → 4
  expect(r.measures).toMatchObject({ feedbacks: 3, averageScore: 4, medianAnswerHours: 30, winRate: 0.25 });
});

test('each unresolved conflict takes a point; resolving it gives the point back', () => {
  expect(computeGrade({ ...base, unresolvedConflicts: 1 }).grade).toBe(4);
  expect(computeGrade({ ...base, unresolvedConflicts: 2 }).grade).toBe(3);
  expect(computeGrade({ ...base, unresolvedConflicts: 9 }).grade).toBe(1); // never below 1
  expect(computeGrade({ ...base, unresolvedConflicts: 0 }).grade).toBe(5);
});

test(`fewer than ${MIN_FEEDBACKS} feedbacks keep the grade in force, whatever they say`, () => {
  expect(computeGrade({ ...base, current: 4, feedback: feedback(1, 2, 0) })).toMatchObject({ grade: 4, sampled: false });
  expect(computeGrade({ ...base, current: 2, feedback: feedback(5, 2), unresolvedConflicts: 3 })).toMatchObject({
    grade: 2,
    sampled: false,
  });
  expect(computeGrade({ ...base, current: 2, feedback: [] })).toMatchObject({ grade: 2, sampled: false });
});

test('what was not measured is left out, not counted as bad', () => {
  // No answered offers and nothing accepted: feedback 4 and deadlines 1 + 4·⅓ only.
  const r = computeGrade({
    ...base,
    answerHours: [],
    accepted: 0,
    won: 0,
    feedback: [
      { score: 4, deadlinesKept: true },
      { score: 4, deadlinesKept: false },
      { score: 4, deadlinesKept: false },
    ],
  });
  expect(Object.keys(r.components).sort()).toEqual(['deadlines', 'feedback']);
  expect(r.score).toBeCloseTo((0.4 * 4 + 0.25 * (1 + 4 / 3)) / 0.65);
  expect(r.grade).toBe(3);
});

test('bad feedback and broken deadlines sink a grade', () => {
  expect(computeGrade({ ...base, current: 5, feedback: feedback(1, 4, 0), answerHours: [200], won: 0 }).grade).toBe(1);
  expect(computeGrade({ ...base, current: 5, feedback: feedback(2, 3, 1) }).grade).toBe(3);
});

test('answer speed: within a morning is best, days are worst', () => {
  expect([0, 4, 4.01, 24, 30, 48, 96, 97].map(speedPoints)).toEqual([5, 5, 4, 4, 3, 3, 2, 1]);
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeUndefined();
});

test('win rate counts won of accepted, capped at all of them', () => {
  expect(computeGrade({ ...base, accepted: 2, won: 5 }).measures.winRate).toBe(1);
  expect(computeGrade({ ...base, accepted: 10, won: 0 }).components.winRate).toBe(1);
});

test('for any inputs the grade is 1..5, and one more conflict never raises it', () => {
  const inputs = fc.record({
    current: fc.integer({ min: 1, max: 5 }),
    feedback: fc.array(fc.record({ score: fc.integer({ min: 1, max: 5 }), deadlinesKept: fc.boolean() }), { maxLength: 20 }),
    answerHours: fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { maxLength: 20 }),
    accepted: fc.integer({ min: 0, max: 50 }),
    won: fc.integer({ min: 0, max: 50 }),
    unresolvedConflicts: fc.integer({ min: 0, max: 5 }),
  });
  fc.assert(
    fc.property(inputs, (i) => {
      const g = computeGrade(i).grade;
      expect(Number.isInteger(g) && g >= 1 && g <= 5).toBe(true);
      expect(computeGrade({ ...i, unresolvedConflicts: i.unresolvedConflicts + 1 }).grade).toBeLessThanOrEqual(g);
    }),
  );
});
