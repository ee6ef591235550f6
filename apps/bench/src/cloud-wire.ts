import { fork } from 'node:child_process';
import { createServer, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CloudStorageClient } from '@x/cloud-client';
import { Request, RequestQueue } from '@x/core';
import type { RunningServer } from '@x/server';
import got from 'got';
import { cloudTarget, type CloudTarget } from './cloud-target.js';
import type { ConsumerReport } from './cloud-consumer.js';
import type { PhaseResult } from './runner.js';
import { formatOpsPerSec, formatRatio, renderTable } from './table.js';

/** What the cloud group measures besides the workloads: report lines, JSON figures, missed goals. */
export interface CloudExtras {
  readonly lines: string[];
  readonly json: Record<string, unknown>;
  readonly missed: string[];
}

/** The cloud target and the measurements that need its server. */
export interface CloudBench {
  readonly target: CloudTarget;
  extras(scale: number, results: readonly PhaseResult[]): Promise<CloudExtras>;
}

/**
 * Goals of issue 15, against a raw got keep-alive round trip measured in the same process: the
 * least ratio of the phase's rate to the raw round-trip rate, and the most HTTP requests per
 * operation (counted by the server).
 */
const WIRE_GOALS: Readonly<Record<string, { readonly ratio: number; readonly requestsPerOp: number }>> = {
  'dataset-push-single': { ratio: 0.7, requestsPerOp: 1 },
  'kv-set': { ratio: 0.7, requestsPerOp: 1 },
  'kv-get': { ratio: 0.7, requestsPerOp: 1 },
  'rq-fetch-handle': { ratio: 0.6, requestsPerOp: 1.1 },
};

const ROUNDS = 3;
const CONSUMER_PROCESSES = 4;
/** Request-count slack for comparing counts per operation with a goal (floating point). */
const EPSILON = 1e-9;

/** The cloud group's target, and its extras: the raw round trip, ratios to it, and several consumer processes. */
export function cloudBench(): CloudBench {
  const target = cloudTarget();
  return { target, extras: async (scale, results) => extras(await target.server(), scale, results) };
}

/**
 * Round trips per second of got with a keep-alive agent against a bare `node:http` server in this
 * process (it answers a small JSON body): the most an API call on loopback can do here. The
 * fastest of `rounds` runs.
 */
async function rawRoundTrips(count: number, rounds: number): Promise<number> {
  const body = Buffer.from('{"data":{}}');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ keepAlive: true });
  const http = got.extend({ prefixUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, agent: { http: agent }, retry: { limit: 0 } });
  try {
    let best = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      for (let i = 0; i < count; i++) await http.get('v2/ping').buffer();
      best = Math.max(best, (count * 1000) / (performance.now() - start));
    }
    return best;
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Runs `processes` consumer processes (see `cloud-consumer.ts`) over a queue of `count` requests
 * on `server`: the wall time from "go" to the last one done, and the HTTP requests it took.
 */
async function consumeInProcesses(server: RunningServer, processes: number, count: number, name: string): Promise<{ seconds: number; requests: number; reports: ConsumerReport[] }> {
  const producer = new CloudStorageClient({ baseUrl: server.url, strongQueueConsistency: true });
  try {
    const queue = await RequestQueue.open({ name, storageClient: producer });
    const requests = Array.from({ length: count }, (_, i) => Request.fromUrl(`https://consumers.example.com/page/${i}`));
    for (let i = 0; i < count; i += 1000) await queue.addRequests(requests.slice(i, i + 1000));
    const script = fileURLToPath(new URL('./cloud-consumer.ts', import.meta.url));
    const children = Array.from({ length: processes }, () => fork(script, [server.url, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await Promise.all(children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve()))));
    const before = server.requestCount;
    const start = performance.now();
    const reports = await Promise.all(
      children.map(
        (child) =>
          new Promise<ConsumerReport>((resolve, reject) => {
            child.once('message', (report) => resolve(report as ConsumerReport));
            child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`a consumer process exited with ${code}`))));
            child.send('go');
          }),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    const requestsMade = server.requestCount - before;
    const handled = reports.reduce((sum, r) => sum + r.handled, 0);
    const metadata = await queue.getMetadata();
    if (handled !== count || metadata.handledRequestCount !== count) {
      throw new Error(`Benchmark check failed: ${processes} consumers handled ${handled} of ${count} (the queue counts ${metadata.handledRequestCount})`);
    }
    await queue.drop();
    return { seconds, requests: requestsMade, reports };
  } finally {
    await producer.close();
  }
}

async function extras(server: RunningServer, scale: number, results: readonly PhaseResult[]): Promise<CloudExtras> {
  const lines: string[] = [''];
  const missed: string[] = [];
  const raw = await rawRoundTrips(Math.max(1000, Math.round(20_000 * scale)), ROUNDS);
  lines.push(`Raw round trip (got with a keep-alive agent, GET of a small JSON body from a bare node:http server in this process; the fastest of ${ROUNDS} runs): ${formatOpsPerSec(raw)}/s`);

  const rows: Record<string, unknown>[] = [];
  const body: string[][] = [];
  for (const result of results) {
    const own = result.measurements['cloud'];
    if (!own) continue;
    const goal = WIRE_GOALS[result.phase.id];
    const ratio = own.opsPerSec / raw;
    const ratioMet = goal === undefined ? undefined : ratio >= goal.ratio;
    const requestsMet = goal === undefined || own.requestsPerOp === undefined ? undefined : own.requestsPerOp <= goal.requestsPerOp + EPSILON;
    if (goal && !ratioMet) missed.push(`${result.phase.title}: ${formatRatio(ratio)} of a raw round trip, target ≥ ${goal.ratio}×`);
    if (goal && requestsMet === false) missed.push(`${result.phase.title}: ${own.requestsPerOp!.toFixed(3)} HTTP requests per operation, target ≤ ${goal.requestsPerOp}`);
    rows.push({ phase: result.phase.id, opsPerSec: Math.round(own.opsPerSec), requestsPerOp: own.requestsPerOp, ratioToRawRoundTrip: ratio, goal });
    body.push([
      result.phase.title,
      formatOpsPerSec(own.opsPerSec),
      own.requestsPerOp === undefined ? '–' : own.requestsPerOp.toFixed(3),
      formatRatio(ratio),
      goal === undefined ? '' : `≥ ${goal.ratio}×, ≤ ${goal.requestsPerOp} req/op`,
      goal === undefined ? '' : ratioMet && requestsMet !== false ? 'met' : 'MISSED',
    ]);
  }
  lines.push(renderTable(['workload (cloud → server)', 'ops/s', 'req/op', '÷ raw round trip', 'target', 'met'], body, ['left', 'right', 'right', 'right', 'left', 'left']));

  // One consumer process, then several, over the same number of requests; the fastest of the rounds each.
  const count = Math.max(1000, Math.round(40_000 * scale));
  const runs: Record<string, unknown>[] = [];
  const best = new Map<number, { seconds: number; requests: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const processes of [1, CONSUMER_PROCESSES]) {
      const run = await consumeInProcesses(server, processes, count, `consumers-${processes}-${Date.now().toString(36)}-${round}`);
      const previous = best.get(processes);
      if (!previous || run.seconds < previous.seconds) best.set(processes, run);
      runs.push({ processes, round, seconds: run.seconds, requests: run.requests, handledPerProcess: run.reports.map((r) => r.handled) });
    }
  }
  lines.push(`Consumer processes on one server, each fetching and marking handled through RequestQueue until finished, ${count.toLocaleString('en-US')} requests (the fastest of ${ROUNDS} runs):`);
  const one = best.get(1)!;
  for (const [processes, run] of best) {
    const rate = count / run.seconds;
    lines.push(
      `  ${processes} process${processes === 1 ? '' : 'es'}: ${formatOpsPerSec(rate)} requests/s in all, ${(run.requests / count).toFixed(3)} HTTP requests per handled request` +
        (processes === 1 ? '' : `, ${formatRatio(one.seconds / run.seconds)} of one process`),
    );
  }
  return {
    lines,
    missed,
    json: {
      rawRoundTripsPerSec: Math.round(raw),
      wire: rows,
      consumers: { count, best: Object.fromEntries([...best].map(([p, run]) => [p, { requestsPerSec: Math.round(count / run.seconds), requestsPerHandled: run.requests / count }])), runs },
    },
  };
}
