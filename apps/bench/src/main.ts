import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crawleeVersion } from './crawlee-target.js';
import { compare, missedGoals } from './report.js';
import { DEFAULT_ROUNDS, gcExposed, runWorkloads } from './runner.js';
import { formatOpsPerSec, formatRatio, renderTable, reportFooter, reportTable } from './table.js';
import type { BenchTarget } from './target.js';
import { measureFileCeiling, type FileCeiling } from './file-ceiling.js';
import { groups, type BenchGroup } from './targets.js';
import { workloads, type Workload } from './workloads.js';

const USAGE = `Usage: pnpm bench [options]    (from the repository root: builds the packages first)
       npx tsx --expose-gc --conditions=@x/source src/main.ts [options]    (in apps/bench, on the sources)

Runs fixed storage workloads against our clients and Crawlee in this one process and prints
ops/s and the ratio ours ÷ Crawlee.

Options:
  --only <names>    workloads or phases to run, comma separated; a name also selects the ids
                    it prefixes ("dataset", "rq", "kv-get"). Ids:
                    ${[...new Set(workloads.flatMap((w) => [w.id, ...w.phases.map((p) => p.id)]))].join(', ')}
  --group <keys>    comparison groups to run, comma separated: ${groups.map((g) => g.key).join(', ')} (default: all)
  --target <keys>   targets to run, comma separated (default: all; a ratio needs its Crawlee baseline)
  --scale <factor>  multiply every count (default 1; 0.1 for a quick run)
  --rounds <n>      measured rounds of each workload, the targets taking turns; the fastest run counts (default 3)
  --out <file>      where to write the JSON results (default results/latest.json)
  -h, --help        this help`;

function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

function matches(id: string, name: string): boolean {
  return id === name || id.startsWith(`${name}-`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** The workloads to run and the phases to report for `--only`. */
function select(only: readonly string[] | undefined): { chosen: Workload[]; phaseFilter: Set<string> | undefined } {
  if (!only) return { chosen: [...workloads], phaseFilter: undefined };
  const phaseFilter = new Set<string>();
  const chosen: Workload[] = [];
  for (const name of only) {
    let found = false;
    for (const workload of workloads) {
      const phases = matches(workload.id, name) ? workload.phases : workload.phases.filter((p) => matches(p.id, name));
      if (phases.length === 0) continue;
      found = true;
      if (!chosen.includes(workload)) chosen.push(workload);
      for (const phase of phases) phaseFilter.add(phase.id);
    }
    if (!found) fail(`--only: no workload or phase "${name}"`);
  }
  return { chosen: workloads.filter((w) => chosen.includes(w)), phaseFilter };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      target: { type: 'string', multiple: true },
      scale: { type: 'string' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0) fail(`--scale must be a positive number, got ${values.scale}`);
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive whole number, got ${values.rounds}`);
  const { chosen, phaseFilter } = select(splitList(values.only));

  const wantedGroups = splitList(values.group);
  const unknownGroups = (wantedGroups ?? []).filter((key) => !groups.some((g) => g.key === key));
  if (unknownGroups.length > 0) fail(`--group: no group ${unknownGroups.join(', ')} (groups: ${groups.map((g) => g.key).join(', ')})`);
  const chosenGroups = groups.filter((g) => !wantedGroups || wantedGroups.includes(g.key));
  const wantedTargets = splitList(values.target);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const cores = availableParallelism();
  process.stderr.write(
    `Benchmark: ${chosen.map((w) => w.id).join(', ')}; groups ${chosenGroups.map((g) => g.key).join(', ')}; scale ${scale}\n` +
      `Node ${process.version}, ${cpu} × ${cores}${gcExposed ? '' : ' (no --expose-gc: no GC between runs)'}\n`,
  );
  const started = performance.now();
  const groupResults = [];
  for (const group of chosenGroups) groupResults.push(await runGroup(group, chosen, phaseFilter, scale, rounds, wantedTargets));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`Scale ${scale}, ${seconds.toFixed(0)} s, Node ${process.version}, ${cores} cores.\n`);

  const outFile = resolve(values.out ?? fileURLToPath(new URL('../results/latest.json', import.meta.url)));
  const json = {
    generatedAt: new Date().toISOString(),
    scale,
    rounds,
    seconds: Number(seconds.toFixed(1)),
    environment: { node: process.version, platform: process.platform, arch: process.arch, cpu, cores, gcExposed },
    crawleeVersion,
    groups: groupResults,
  };
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`Results written to ${outFile}\n`);
}

/** Runs one comparison group, prints its table, and gives its results for the JSON file. */
async function runGroup(
  group: BenchGroup,
  chosen: readonly Workload[],
  phaseFilter: Set<string> | undefined,
  runScale: number,
  rounds: number,
  wantedTargets: readonly string[] | undefined,
): Promise<Record<string, unknown>> {
  const scale = runScale * group.scale;
  if (group.run) {
    process.stderr.write(`\n${group.title} (scale ${scale})\n`);
    return group.run({ scale, rounds, onProgress: (message) => process.stderr.write(`  ${message}\n`) });
  }
  let targets = group.createTargets();
  if (wantedTargets) {
    const dropped = targets.filter((t) => !wantedTargets.includes(t.key));
    for (const target of dropped) await target.dispose?.();
    targets = targets.filter((t) => wantedTargets.includes(t.key));
  }
  if (targets.length === 0) return { group: group.key, skipped: true };
  process.stderr.write(`\n${group.title} (scale ${scale})\n`);
  // Measured like the targets: before the workloads and after each round, the best kept.
  const ceilings: FileCeiling[] = [];
  const ceilingDir = group.measureFileCeiling ? mkdtempSync(join(tmpdir(), 'x-bench-ceiling-')) : undefined;
  const measureCeiling = ceilingDir ? () => ceilings.push(measureFileCeiling(Math.max(1000, Math.round(20_000 * scale)), ceilingDir)) : undefined;
  measureCeiling?.();
  let results;
  let extras;
  try {
    results = [];
    // A group may run some workloads at a scale of their own (see BenchGroup.workloadScale).
    for (const workload of chosen) {
      results.push(
        ...(await runWorkloads([workload], targets, {
          scale: scale * (group.workloadScale?.[workload.id] ?? 1),
          rounds,
          afterRound: measureCeiling,
          phaseFilter,
          onProgress: (message) => process.stderr.write(`  ${message}\n`),
        })),
      );
    }
    if (group.extras && targets.some((t) => t.key === group.extrasTarget)) {
      process.stderr.write('  measuring round trips and more\n');
      extras = await group.extras(scale, results);
    }
  } finally {
    for (const target of targets) await target.dispose?.();
    if (ceilingDir) rmSync(ceilingDir, { recursive: true, force: true });
  }
  const rows = compare(results, targets);
  const ceiling = bestCeiling(ceilings);
  const missed = missedGoals(rows, targets);
  process.stdout.write(`\n${group.title}, scale ${scale}\n${reportTable(rows, targets)}\n\n${reportFooter(rows, targets, missed)}\n`);
  if (ceiling) process.stdout.write(`${ceilingReport(ceiling, rows, targets)}\n`);
  const versus = group.versus ? versusRows(rows, targets, group.versus) : [];
  if (versus.length > 0) process.stdout.write(`${versusReport(versus)}\n`);
  for (const row of versus) if (row.goal !== undefined && row.met !== true) missed.push({ target: `${row.contender} ÷ ${row.against}`, phase: row.phase, title: row.title, ratio: row.ratio, goal: row.goal });
  if (extras) process.stdout.write(`${extras.lines.join('\n')}\n${extras.missed.length === 0 ? '' : `TARGETS MISSED: ${extras.missed.join('; ')}\n`}`);
  process.stdout.write('\n');
  return {
    group: group.key,
    title: group.title,
    scale,
    targets: targets.map((t) => ({ key: t.key, label: t.label, baseline: t.baseline ?? false, goals: t.goals ?? {} })),
    ...(ceiling ? { fileCeilingOpsPerSec: { create: Math.round(ceiling.create), replace: Math.round(ceiling.replace) } } : {}),
    results: rows.map((row) => ({
      workload: row.workload,
      phase: row.phase.id,
      title: row.phase.title,
      unit: row.phase.unit,
      count: row.count,
      ...(row.phase.note ? { note: row.phase.note } : {}),
      measurements: row.measurements,
      comparisons: row.comparisons,
    })),
    missed,
    ...(versus.length > 0 ? { versus } : {}),
    ...(extras ? { extras: extras.json, extrasMissed: extras.missed } : {}),
  };
}

interface VersusRow {
  readonly phase: string;
  readonly title: string;
  readonly contender: string;
  readonly against: string;
  readonly ratio: number | undefined;
  readonly goal: number | undefined;
  readonly met: boolean | undefined;
}

/** The second comparison of a group: one contender's ops/s over another's, phase by phase. */
function versusRows(rows: ReturnType<typeof compare>, targets: readonly BenchTarget[], versus: NonNullable<BenchGroup['versus']>): VersusRow[] {
  const contender = targets.find((t) => t.key === versus.contender);
  const against = targets.find((t) => t.key === versus.against);
  if (!contender || !against) return [];
  return rows.map((row) => {
    const own = row.measurements[contender.key]?.opsPerSec;
    const other = row.measurements[against.key]?.opsPerSec;
    const ratio = own !== undefined && other !== undefined ? own / other : undefined;
    const goal = versus.goals[row.phase.id];
    return { phase: row.phase.id, title: row.phase.title, contender: contender.label, against: against.label, ratio, goal, met: goal === undefined || ratio === undefined ? undefined : ratio >= goal };
  });
}

function versusReport(rows: readonly VersusRow[]): string {
  const first = rows[0]!;
  const body = rows.map((row) => [row.title, formatRatio(row.ratio), row.goal === undefined ? '' : `≥ ${row.goal}×`, row.goal === undefined ? '' : row.met === undefined ? 'not measured' : row.met ? 'met' : 'MISSED']);
  return `\n${first.contender} ÷ ${first.against}, same run:\n${renderTable(['workload', 'ratio', 'target', 'met'], body, ['left', 'right', 'left', 'left'])}`;
}

/** Where the one-file-per-operation phases of each contender stand against the raw file rate. */
/** The fastest of the ceiling's measurements, each rate on its own; `undefined` when there are none. */
function bestCeiling(ceilings: readonly FileCeiling[]): FileCeiling | undefined {
  if (ceilings.length === 0) return undefined;
  return {
    create: Math.max(...ceilings.map((c) => c.create)),
    replace: Math.max(...ceilings.map((c) => c.replace)),
    files: ceilings[0]!.files,
    samples: ceilings.length,
  };
}

/** Phases that write one file per operation, and whether that file is new or replaces one. */
const ONE_FILE_PHASES: readonly { readonly id: string; readonly replaces: boolean }[] = [
  { id: 'dataset-push-single', replaces: false },
  { id: 'dataset-push-batch', replaces: false },
  { id: 'kv-set', replaces: false },
  { id: 'rq-fetch-handle', replaces: true },
];

function ceilingReport(ceiling: FileCeiling, rows: ReturnType<typeof compare>, targets: readonly BenchTarget[]): string {
  const lines = [
    `Raw small-file write (temp + rename, synchronous; the fastest of ${ceiling.samples} measurements between the rounds), the ceiling of one file per operation: ` +
      `${formatOpsPerSec(ceiling.create)} new files/s; ${formatOpsPerSec(ceiling.replace)} files/s replacing files written just before.`,
  ];
  for (const target of targets) {
    if (target.baseline) continue;
    for (const { id, replaces } of ONE_FILE_PHASES) {
      const row = rows.find((r) => r.phase.id === id);
      const own = row?.measurements[target.key];
      if (!row || !own) continue;
      const limit = replaces ? ceiling.replace : ceiling.create;
      lines.push(
        `  ${target.label}, ${row.phase.title}: ${formatOpsPerSec(own.opsPerSec)} ${row.phase.unit}/s = ${formatRatio(own.opsPerSec / limit)} of the ceiling (${replaces ? 'replacing' : 'new'} files)`,
      );
    }
  }
  return lines.join('\n');
}

await main();
