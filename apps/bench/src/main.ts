import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crawleeVersion } from './crawlee-target.js';
import { compare, missedGoals } from './report.js';
import { gcExposed, runWorkloads } from './runner.js';
import { reportFooter, reportTable } from './table.js';
import { createTargets } from './targets.js';
import { workloads, type Workload } from './workloads.js';

const USAGE = `Usage: pnpm bench [options]    (from the repository root: builds the packages first)
       npx tsx --expose-gc --conditions=@x/source src/main.ts [options]    (in apps/bench, on the sources)

Runs fixed storage workloads against our clients and Crawlee in this one process and prints
ops/s and the ratio ours ÷ Crawlee.

Options:
  --only <names>    workloads or phases to run, comma separated; a name also selects the ids
                    it prefixes ("dataset", "rq", "kv-get"). Ids:
                    ${[...new Set(workloads.flatMap((w) => [w.id, ...w.phases.map((p) => p.id)]))].join(', ')}
  --target <keys>   targets to run, comma separated (default: all; the ratio needs crawlee)
  --scale <factor>  multiply every count (default 1; 0.1 for a quick run)
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
      target: { type: 'string', multiple: true },
      scale: { type: 'string' },
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
  const { chosen, phaseFilter } = select(splitList(values.only));

  let targets = createTargets();
  const wanted = splitList(values.target);
  if (wanted) {
    const unknown = wanted.filter((key) => !targets.some((t) => t.key === key));
    if (unknown.length > 0) fail(`--target: no target ${unknown.join(', ')} (targets: ${targets.map((t) => t.key).join(', ')})`);
    targets = targets.filter((t) => wanted.includes(t.key));
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const cores = availableParallelism();
  process.stderr.write(
    `Benchmark: ${chosen.map((w) => w.id).join(', ')} on ${targets.map((t) => t.label).join(', ')}; scale ${scale}\n` +
      `Node ${process.version}, ${cpu} × ${cores}${gcExposed ? '' : ' (no --expose-gc: no GC between runs)'}\n`,
  );

  const started = performance.now();
  let results;
  try {
    results = await runWorkloads(chosen, targets, {
      scale,
      phaseFilter,
      onProgress: (message) => process.stderr.write(`  ${message}\n`),
    });
  } finally {
    for (const target of targets) await target.dispose?.();
  }
  const seconds = (performance.now() - started) / 1000;

  const rows = compare(results, targets);
  const missed = missedGoals(rows, targets);
  process.stdout.write(`\n${reportTable(rows, targets)}\n\n${reportFooter(rows, targets, missed)}\n`);
  process.stdout.write(`Scale ${scale}, ${seconds.toFixed(0)} s, Node ${process.version}, ${cores} cores.\n`);

  const outFile = resolve(values.out ?? fileURLToPath(new URL('../results/latest.json', import.meta.url)));
  const json = {
    generatedAt: new Date().toISOString(),
    scale,
    seconds: Number(seconds.toFixed(1)),
    environment: { node: process.version, platform: process.platform, arch: process.arch, cpu, cores, gcExposed },
    crawleeVersion,
    targets: targets.map((t) => ({ key: t.key, label: t.label, baseline: t.baseline ?? false, goals: t.goals ?? {} })),
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
  };
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`Results written to ${outFile}\n`);
}

await main();
