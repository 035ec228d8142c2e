// A partner's grade (1..5): who gets the complex projects (DOMAIN: "the highest grade gets
// complex projects"). Computed from what we can measure of the grade inputs the trade names —
// client feedback, deadlines kept, steady quality — and lowered by unresolved client conflicts.
// Pure, so the formula is tested on its own and the activity only gathers the numbers.
//
// The formula
//   Each measured component is put on the 1..5 scale:
//     feedback   average client score (already 1..5)                              weight 0.40
//     deadlines  1 + 4 × share of feedbacks with deadlines kept                    weight 0.25
//     speed      median hours from an offer to the partner's answer:              weight 0.15
//                ≤ 4 h → 5, ≤ 24 h → 4, ≤ 48 h → 3, ≤ 96 h → 2, slower → 1
//     win rate   won / accepted, where 50 % or better is top:                     weight 0.20
//                1 + 4 × min(1, rate / 0.5)
//   A component without data (no answered offer, nothing accepted yet) is left out and the
//   remaining weights are scaled back up to 1, so a young partner is not punished for it.
//   score = weighted mean − 1 per unresolved conflict (open or discussed)
//   grade = round(score) clamped to 1..5 (halves round up).
//   Minimum sample: with fewer than 3 client feedbacks the grade stays where it is — two happy
//   or two angry clients say little, and a new partner starts from the grade it was given.
//
// Win rate counts every accepted lead, decided or not (the definition asked for): deals run for
// months, so a partner with many fresh acceptances looks worse for a while — hence its modest
// weight.

export const MIN_FEEDBACKS = 3;
export const CONFLICT_PENALTY = 1;

export const WEIGHTS = { feedback: 0.4, deadlines: 0.25, speed: 0.15, winRate: 0.2 } as const;
export type Component = keyof typeof WEIGHTS;

export interface GradeInputs {
  /** The grade in force (the last computed one), kept while the sample is too small. */
  current: number;
  feedback: Array<{ score: number; deadlinesKept: boolean }>;
  /** Hours from each offer to the partner's answer (accepted, declined, or expired unanswered). */
  answerHours: number[];
  /** Leads the partner accepted, and those of them that are won. */
  accepted: number;
  won: number;
  /** Client conflicts still open or under discussion. */
  unresolvedConflicts: number;
}

export interface GradeResult {
  grade: number;
  /** false: too few feedbacks, `grade` is `current`. */
  sampled: boolean;
  /** The unrounded score after conflicts (undefined when not sampled). */
  score?: number;
  /** Each measured component on the 1..5 scale. */
  components: Partial<Record<Component, number>>;
  /** The raw figures, for the grade history. */
  measures: {
    feedbacks: number;
    averageScore?: number;
    deadlinesKeptShare?: number;
    medianAnswerHours?: number;
    winRate?: number;
    unresolvedConflicts: number;
  };
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Answer speed on the 1..5 scale: a partner answering within a morning is at the top. */
export function speedPoints(medianHours: number): number {
  if (medianHours <= 4) return 5;
  if (medianHours <= 24) return 4;
  if (medianHours <= 48) return 3;
  if (medianHours <= 96) return 2;
  return 1;
}

export const clampGrade = (x: number) => Math.min(5, Math.max(1, Math.round(x)));

export function computeGrade(inputs: GradeInputs): GradeResult {
  const n = inputs.feedback.length;
  const averageScore = n ? inputs.feedback.reduce((a, f) => a + f.score, 0) / n : undefined;
  const deadlinesKeptShare = n ? inputs.feedback.filter((f) => f.deadlinesKept).length / n : undefined;
  const medianAnswerHours = median(inputs.answerHours);
  const winRate = inputs.accepted > 0 ? Math.min(1, inputs.won / inputs.accepted) : undefined;
  const measures = {
    feedbacks: n,
    averageScore,
    deadlinesKeptShare,
    medianAnswerHours,
    winRate,
    unresolvedConflicts: inputs.unresolvedConflicts,
  };

  const components: Partial<Record<Component, number>> = {};
  if (averageScore !== undefined) components.feedback = averageScore;
  if (deadlinesKeptShare !== undefined) components.deadlines = 1 + 4 * deadlinesKeptShare;
  if (medianAnswerHours !== undefined) components.speed = speedPoints(medianAnswerHours);
  if (winRate !== undefined) components.winRate = 1 + 4 * Math.min(1, winRate / 0.5);

  if (n < MIN_FEEDBACKS) return { grade: clampGrade(inputs.current), sampled: false, components, measures };

  const measured = Object.keys(components) as Component[];
  const totalWeight = measured.reduce((a, c) => a + WEIGHTS[c], 0);
  const mean = measured.reduce((a, c) => a + WEIGHTS[c] * components[c]!, 0) / totalWeight;
  const score = mean - CONFLICT_PENALTY * inputs.unresolvedConflicts;
  // Rounded to 1e-9 first, so a score like 3.4999999999 from float weights rounds as 3.5 would.
  return { grade: clampGrade(Math.round(score * 1e9) / 1e9), sampled: true, score, components, measures };
}
