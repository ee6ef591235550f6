import type { PhaseResult } from './runner.js';
import type { BenchTarget } from './target.js';

/** A contender's standing against the baseline on one phase. */
export interface Comparison {
  /** Contender ops/s over baseline ops/s; undefined when either was not measured. */
  readonly ratio: number | undefined;
  /** The minimum ratio set for the phase, if any. */
  readonly goal: number | undefined;
  /** Whether the goal is met; undefined without a goal or a ratio. */
  readonly met: boolean | undefined;
}

export interface ReportRow extends PhaseResult {
  /** By contender key (every target but the baseline). */
  readonly comparisons: Readonly<Record<string, Comparison>>;
}

export interface MissedGoal {
  readonly target: string;
  readonly phase: string;
  readonly title: string;
  readonly ratio: number | undefined;
  readonly goal: number;
}

export function baselineOf(targets: readonly BenchTarget[]): BenchTarget | undefined {
  return targets.find((t) => t.baseline);
}

export function contendersOf(targets: readonly BenchTarget[]): BenchTarget[] {
  return targets.filter((t) => !t.baseline);
}

/** Adds the ratio to the baseline and the goal check to every result. */
export function compare(results: readonly PhaseResult[], targets: readonly BenchTarget[]): ReportRow[] {
  const baseline = baselineOf(targets);
  return results.map((result) => {
    const base = baseline ? result.measurements[baseline.key] : undefined;
    const comparisons: Record<string, Comparison> = {};
    for (const target of contendersOf(targets)) {
      const own = result.measurements[target.key];
      const ratio = own && base ? own.opsPerSec / base.opsPerSec : undefined;
      // Without a baseline in the run there is nothing to hold the goals against.
      const goal = base ? target.goals?.[result.phase.id] : undefined;
      const met = goal === undefined || ratio === undefined ? undefined : ratio >= goal;
      comparisons[target.key] = { ratio, goal, met };
    }
    return { ...result, comparisons };
  });
}

/** Goals that were missed, or could not be checked because a side was not measured. */
export function missedGoals(rows: readonly ReportRow[], targets: readonly BenchTarget[]): MissedGoal[] {
  const missed: MissedGoal[] = [];
  for (const row of rows) {
    for (const target of contendersOf(targets)) {
      const comparison = row.comparisons[target.key];
      if (comparison?.goal === undefined || comparison.met === true) continue;
      missed.push({ target: target.label, phase: row.phase.id, title: row.phase.title, ratio: comparison.ratio, goal: comparison.goal });
    }
  }
  return missed;
}
