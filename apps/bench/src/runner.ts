import type { BenchTarget } from './target.js';
import { countsAt, type Phase, type PhaseTiming, type RunContext, type Workload } from './workloads.js';

/** The result of one phase on one target. */
export interface Measurement {
  /** Operations of the reported (best) run. */
  readonly ops: number;
  /** Milliseconds of the reported (best) run. */
  readonly ms: number;
  readonly opsPerSec: number;
  /** Measured runs; the best is reported. */
  readonly runs: number;
  /** HTTP requests per operation in the reported run, for targets that count requests. */
  readonly requestsPerOp?: number;
}

/** One row of the report: a phase, measured on every target. */
export interface PhaseResult {
  readonly workload: string;
  readonly phase: Phase;
  readonly count: number;
  /** By target key. */
  readonly measurements: Readonly<Record<string, Measurement>>;
}

export interface RunOptions {
  readonly scale: number;
  /** Phase ids to report; undefined: all phases of the workloads. */
  readonly phaseFilter?: ReadonlySet<string> | undefined;
  readonly onProgress?: ((message: string) => void) | undefined;
  /** Measured rounds of each workload (default {@link DEFAULT_ROUNDS}). */
  readonly rounds?: number | undefined;
  /** Called after each round, to take a measurement of the machine alongside the targets'. */
  readonly afterRound?: (() => void) | undefined;
}

/** Warm-up runs do this fraction of the measured counts, on storages of their own. */
const WARMUP_FRACTION = 0.05;
/** Measured rounds of each workload; in each round every target runs once, the targets taking turns. */
export const DEFAULT_ROUNDS = 3;

const gc = (globalThis as { gc?: () => void }).gc;

/** True when the run can collect garbage between measurements (node --expose-gc). */
export const gcExposed = gc !== undefined;

/**
 * Puts every target on the same footing before a measured run: the writes any target still makes
 * in the background finished, so that they do not land in another target's timing, and garbage
 * collected. (No `sync`: on this kind of virtual disk, forcing out the discards of the files the
 * last run deleted slows down the writes that follow for seconds.)
 */
async function settle(targets: readonly BenchTarget[]): Promise<void> {
  for (const target of targets) await target.settle?.();
  gc?.();
}

let storageCounter = 0;
const runId = Date.now().toString(36);
const context: RunContext = {
  storageName: (prefix) => `bench-${prefix}-${runId}-${++storageCounter}`,
};

/** Keeps the fastest timing of each phase. */
function keepBest(best: Map<string, PhaseTiming>, timings: readonly PhaseTiming[]): void {
  for (const timing of timings) {
    const previous = best.get(timing.id);
    if (!previous || timing.ms < previous.ms) best.set(timing.id, timing);
  }
}

/**
 * Runs every workload against every target: a warm-up, then `rounds` measured rounds in which the
 * targets take turns, so that a slow spell of the machine (a disk busy with another tenant's
 * writes) falls on both sides; the fastest run of each target is kept.
 */
export async function runWorkloads(workloads: readonly Workload[], targets: readonly BenchTarget[], options: RunOptions): Promise<PhaseResult[]> {
  const { scale, phaseFilter, onProgress, rounds = DEFAULT_ROUNDS, afterRound } = options;
  const results: PhaseResult[] = [];
  for (const workload of workloads) {
    const byTarget = new Map<string, { best: Map<string, PhaseTiming>; runs: number }>();
    for (const target of targets) {
      await settle(targets);
      await workload.run(target, countsAt(workload, scale * WARMUP_FRACTION), context);
      byTarget.set(target.key, { best: new Map(), runs: 0 });
    }
    const counts = countsAt(workload, scale);
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets) {
        const start = performance.now();
        await settle(targets);
        const measured = byTarget.get(target.key)!;
        keepBest(measured.best, await workload.run(target, counts, context));
        measured.runs++;
        onProgress?.(`${workload.id} on ${target.label}, round ${round} of ${rounds}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
      }
      if (afterRound) {
        await settle(targets);
        afterRound();
      }
    }
    workload.phases.forEach((phase, index) => {
      if (phaseFilter && !phaseFilter.has(phase.id)) return;
      const measurements: Record<string, Measurement> = {};
      let count = counts[index] ?? 0;
      for (const [key, { best, runs }] of byTarget) {
        const timing = best.get(phase.id);
        if (!timing) continue;
        count = timing.ops;
        measurements[key] = {
          ops: timing.ops,
          ms: timing.ms,
          opsPerSec: timing.ms > 0 ? (timing.ops * 1000) / timing.ms : Infinity,
          runs,
          ...(timing.requests === undefined || timing.ops === 0 ? {} : { requestsPerOp: timing.requests / timing.ops }),
        };
      }
      results.push({ workload: workload.id, phase, count, measurements });
    });
  }
  return results;
}
