import type { MissedGoal, ReportRow } from './report.js';
import { baselineOf, contendersOf } from './report.js';
import type { BenchTarget } from './target.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatOpsPerSec(value: number | undefined): string {
  if (value === undefined) return '–';
  if (!Number.isFinite(value)) return '∞';
  return integer.format(value);
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2;
  return `${ratio.toFixed(digits)}×`;
}

function formatRequestsPerOp(value: number | undefined): string {
  if (value === undefined) return '–';
  return value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3);
}

function formatGoal(goal: number | undefined): string {
  return goal === undefined ? '' : `≥ ${goal}×`;
}

function formatMet(met: boolean | undefined, goal: number | undefined): string {
  if (goal === undefined) return '';
  if (met === undefined) return 'not measured';
  return met ? 'met' : 'MISSED';
}

type Align = 'left' | 'right';

/** A plain-text table with a rule under the header; columns padded to fit. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join(' │ ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The report table: one row per phase, ops/s of every target, ratio and goal of every contender. */
export function reportTable(rows: readonly ReportRow[], targets: readonly BenchTarget[]): string {
  const baseline = baselineOf(targets);
  const contenders = contendersOf(targets);
  const several = contenders.length > 1;
  const header = ['workload', 'count'];
  const align: Align[] = ['left', 'right'];
  for (const target of [...contenders, ...(baseline ? [baseline] : [])]) {
    header.push(`${target.label} ops/s`);
    align.push('right');
  }
  const counted = targets.filter((t) => t.requestCount !== undefined);
  for (const target of counted) {
    header.push(`${target.key} req/op`);
    align.push('right');
  }
  if (baseline) {
    for (const target of contenders) {
      header.push(several ? `${target.key} ratio` : 'ratio', 'target', 'met');
      align.push('right', 'left', 'left');
    }
  }
  const body = rows.map((row) => {
    const cells = [row.phase.title + (row.phase.note ? ' *' : ''), `${integer.format(row.count)} ${row.phase.unit}`];
    for (const target of [...contenders, ...(baseline ? [baseline] : [])]) cells.push(formatOpsPerSec(row.measurements[target.key]?.opsPerSec));
    for (const target of counted) cells.push(formatRequestsPerOp(row.measurements[target.key]?.requestsPerOp));
    if (baseline) {
      for (const target of contenders) {
        const c = row.comparisons[target.key];
        cells.push(formatRatio(c?.ratio), formatGoal(c?.goal), formatMet(c?.met, c?.goal));
      }
    }
    return cells;
  });
  return renderTable(header, body, align);
}

/** Lines under the table: notes, how to read it, and the goals met or missed. */
export function reportFooter(rows: readonly ReportRow[], targets: readonly BenchTarget[], missed: readonly MissedGoal[]): string {
  const baseline = baselineOf(targets);
  const lines: string[] = [];
  for (const row of rows) if (row.phase.note) lines.push(`* ${row.phase.title}: ${row.phase.note}`);
  if (baseline) lines.push(`ratio = ours ops/s ÷ ${baseline.label} ops/s, measured in this process; above 1× ours is faster.`);
  else lines.push('No baseline in this run: no ratios, targets not checked.');
  const runs = Math.max(0, ...rows.flatMap((row) => Object.values(row.measurements).map((m) => m.runs)));
  if (runs > 1) lines.push(`Each workload ran ${runs} rounds, the targets taking turns in each round; the fastest run of each target is reported.`);
  const goals = rows.flatMap((row) => Object.values(row.comparisons).filter((c) => c.goal !== undefined));
  if (goals.length > 0) {
    if (missed.length === 0) {
      lines.push(`All ${goals.length} targets met.`);
    } else {
      lines.push(`TARGETS MISSED: ${missed.length} of ${goals.length}`);
      for (const m of missed) lines.push(`  - ${m.target}, ${m.title}: ${formatRatio(m.ratio)}, target ≥ ${m.goal}×`);
    }
  }
  return lines.join('\n');
}
