import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Dataset, KeyValueStore, RequestQueue, type RequestData } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import { prepareFixture, startFixture, type FixtureCommand } from './fixtures/child-process.js';
import {
  KV_KEYS,
  MAX_BATCH,
  contentTypeOf,
  initialState,
  itemFor,
  kindOf,
  requestNumber,
  requestUrl,
  valueFor,
  versionOf,
  type WriterState,
} from './fixtures/crash-model.js';

/** What a folder must hold: the writes known to have resolved (or seen on disk after a kill). */
interface Expectation {
  /** Items 1..items are present. */
  items: number;
  /** The version of each key (0: never set). */
  versions: Map<string, number>;
  /** Requests present, by id, with their `n`. */
  requests: Map<string, number>;
  /** Requests handled. */
  handled: Set<string>;
}

function emptyExpectation(): Expectation {
  return { items: 0, versions: new Map(KV_KEYS.map((key) => [key, 0])), requests: new Map(), handled: new Set() };
}

/** Takes in one line the writer reported; a request reported handled must never be served again. */
function applyLine(expected: Expectation, line: string): void {
  const [word, a = '', b = ''] = line.split(' ');
  switch (word) {
    case 'ready':
    case 'waiting':
    case 'reclaimed':
      return;
    case 'pushed':
      expected.items = Math.max(expected.items, Number(a));
      return;
    case 'set':
      expected.versions.set(a, Number(b));
      return;
    case 'added':
      expected.requests.set(a, Number(b));
      return;
    case 'fetched':
      // Checked without an `expect` per line, which costs more than the rest of a round's bookkeeping.
      if (expected.handled.has(a)) expect.fail(`request ${a} was served again after it was handled`);
      return;
    case 'handled':
      expected.handled.add(a);
      return;
    default:
      throw new Error(`Unexpected line from the writer: ${line}`);
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/**
 * Every `*.json` file parses, and no temporary file of an interrupted write is left. The problems
 * are gathered and asserted at once: an `expect` per file was most of the time a folder's check took.
 */
function assertFilesIntact(storageDir: string): void {
  const problems: string[] = [];
  for (const file of filesUnder(storageDir)) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (name.startsWith('.')) problems.push(`temporary file left: ${file}`);
    if (!name.endsWith('.json')) continue;
    const text = readFileSync(file, 'utf8');
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${file} does not parse: ${JSON.stringify(text.slice(0, 200))}`);
    }
  }
  expect(problems, 'files an interrupted write left broken').toEqual([]);
}

/** `toEqual`, but bytes are compared as a whole (vitest compares a Buffer element by element, slowly). */
function expectValue(actual: unknown, expected: unknown, message: string): void {
  if (Buffer.isBuffer(expected) && Buffer.isBuffer(actual)) {
    expect(actual.equals(expected), `${message}: bytes differ`).toBe(true);
  } else {
    expect(actual, message).toEqual(expected);
  }
}

function bodySize(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.byteLength;
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
}

async function allRequests(storageClient: FileSystemStorageClient): Promise<RequestData[]> {
  const client = await storageClient.openRequestQueue({ kind: 'default', id: 'default' });
  const all: RequestData[] = [];
  let exclusiveStartId: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await client.listRequests({ limit: 500, ...(exclusiveStartId === undefined ? {} : { exclusiveStartId }) });
    all.push(...result.items);
    if (result.nextExclusiveStartId === undefined) break;
    exclusiveStartId = result.nextExclusiveStartId;
  }
  return all;
}

/**
 * Opens the folder with a new client, as a new process would, and checks it against what the
 * writer reported: every resolved write is there, at most one write beyond them (the one in
 * flight), every file parses, no request is lost and none that was handled is served again.
 * Gives what the folder holds, which the next round continues from.
 */
async function verifyFolder(storageDir: string, expected: Expectation, min: SnapshotMin): Promise<Expectation> {
  const storageClient = openClient(storageDir, min);
  const dataset = await Dataset.open({ storageClient });
  const store = await KeyValueStore.open({ storageClient });
  const queue = await RequestQueue.open({ storageClient });
  assertFilesIntact(storageDir);
  let inFlight = 0;

  const { items, total } = await dataset.getData();
  expect(total, 'items whose push resolved').toBeGreaterThanOrEqual(expected.items);
  expect(total).toBeLessThanOrEqual(expected.items + MAX_BATCH);
  expect(items).toEqual(Array.from({ length: total }, (_, i) => itemFor(i + 1)));
  if (total > expected.items) inFlight++;

  const versions = new Map<string, number>();
  for (const key of KV_KEYS) {
    const last = expected.versions.get(key) ?? 0;
    const value = await store.getValue(key);
    let version: number;
    if (value === null) {
      if (last === 0 || kindOf(last) === 'delete') version = last;
      else {
        expect(kindOf(last + 1), `record ${key} lost its resolved version ${last}`).toBe('delete');
        version = last + 1;
      }
    } else {
      version = versionOf(key, value) ?? -1;
      expect([last, last + 1], `version of ${key}`).toContain(version);
      expectValue(value, valueFor(key, version), `value of ${key}`);
    }
    if (version !== last) inFlight++;
    versions.set(key, version);
  }
  const listed: { key: string; size: number; contentType: string }[] = [];
  for await (const info of store.iterateKeys()) listed.push(info);
  const present = KV_KEYS.filter((key) => contentTypeOf(versions.get(key) ?? 0) !== undefined && versions.get(key) !== 0);
  expect(listed.map((info) => info.key)).toEqual([...present].sort());
  for (const info of listed) {
    const version = versions.get(info.key)!;
    expect(info.contentType).toBe(contentTypeOf(version));
    expect(info.size).toBe(bodySize(valueFor(info.key, version)));
  }

  const all = await allRequests(storageClient);
  const byId = new Map(all.map((request) => [request.id, request]));
  // Mismatches are gathered and asserted at once (an `expect` per request made the check slow).
  const lost: string[] = [];
  for (const [id, n] of expected.requests) {
    const url = byId.get(id)?.url;
    if (url !== requestUrl(n)) lost.push(`request ${n} (${id}) whose add resolved: ${url}`);
  }
  expect(lost, 'requests whose add resolved').toEqual([]);
  const unhandled = [...expected.handled].filter((id) => byId.get(id)?.handledAt === undefined);
  expect(unhandled, 'requests reported handled that are not').toEqual([]);
  expect(all.map((request) => request.userData)).toEqual(all.map((request) => ({ n: requestNumber(request.url) })));
  for (const request of all) {
    if (!expected.requests.has(request.id)) inFlight++;
    if (request.handledAt !== undefined && !expected.handled.has(request.id)) inFlight++;
  }
  const pending = all.filter((request) => request.handledAt === undefined).map((request) => request.id);
  const served: string[] = [];
  for (let i = 0; i <= all.length; i++) {
    const request = await queue.fetchNextRequest();
    if (!request) break;
    served.push(request.id);
  }
  expect(served.filter((id) => expected.handled.has(id)), 'handled requests served again').toEqual([]);
  expect(served.sort(), 'every pending request is served once, no handled one').toEqual(pending.sort());
  const metadata = await queue.getMetadata();
  expect(metadata.totalRequestCount).toBe(all.length);
  expect(metadata.handledRequestCount).toBe(all.length - pending.length);

  expect(inFlight, 'writes beyond the resolved ones: only the one in flight').toBeLessThanOrEqual(1);
  // Nothing of this client may be written later, while the next writer runs.
  storageClient.flush();
  return {
    items: total,
    versions,
    requests: new Map(all.map((request) => [request.id, requestNumber(request.url)])),
    handled: new Set(all.filter((request) => request.handledAt !== undefined).map((request) => request.id)),
  };
}

/**
 * A new process carries on in a folder a killed one left: it deletes every record, handles every
 * request and pushes an item; the next process sees exactly that (no stale file of an interrupted
 * write comes back), writes every record again, and the one after reads them all.
 */
async function resumeAndVerify(storageDir: string, found: Expectation, min: SnapshotMin): Promise<void> {
  const open = async () => {
    const storageClient = openClient(storageDir, min);
    return {
      storageClient,
      dataset: await Dataset.open({ storageClient }),
      store: await KeyValueStore.open({ storageClient }),
      queue: await RequestQueue.open({ storageClient }),
    };
  };
  const first = await open();
  await first.dataset.pushData(itemFor(found.items + 1));
  for (const key of KV_KEYS) await first.store.setValue(key, null);
  for (let i = 0, request = await first.queue.fetchNextRequest(); request && i <= found.requests.size; i++) {
    await first.queue.markRequestAsHandled(request);
    request = await first.queue.fetchNextRequest();
  }
  const added = await first.queue.addRequest(requestUrl(1_000_000));
  first.storageClient.flush();

  const second = await open();
  const keys: string[] = [];
  for await (const { key } of second.store.iterateKeys()) keys.push(key);
  expect(keys, 'records after every one was deleted').toEqual([]);
  for (const key of KV_KEYS) expect(await second.store.getValue(key)).toBeNull();
  expect((await second.dataset.getData()).items).toEqual(Array.from({ length: found.items + 1 }, (_, i) => itemFor(i + 1)));
  const next = await second.queue.fetchNextRequest();
  expect(next?.id).toBe(added.requestId);
  expect(await second.queue.fetchNextRequest()).toBeNull();
  expect(await second.queue.getHandledCount()).toBe(found.requests.size);
  for (const key of KV_KEYS) await second.store.setValue(key, valueFor(key, 1));
  second.storageClient.flush();

  const third = await open();
  for (const key of KV_KEYS) expectValue(await third.store.getValue(key), valueFor(key, 1), `value of ${key}`);
  third.storageClient.flush();
  assertFilesIntact(storageDir);
}

let root: string;
let writer: FixtureCommand;

/** The clients' `queueSnapshotMinRequests` in a mode of the tests (see the modes below). */
type SnapshotMin = number | undefined;

/** A client on `storageDir`, as a new process of the tests of mode `min` opens it. */
function openClient(storageDir: string, min: SnapshotMin): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, logger: { warn: () => {} }, ...(min === undefined ? {} : { queueSnapshotMinRequests: min }) });
}

/** The writer's first state for an empty folder in the tests of mode `min`. */
function firstState(storageDir: string, min: SnapshotMin): WriterState {
  return { ...initialState(storageDir), ...(min === undefined ? {} : { queueSnapshotMinRequests: min }) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'x-fs-crash-'));
  writer = await prepareFixture('storage-writer', root);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function nextState(storageDir: string, found: Expectation, min: SnapshotMin): WriterState {
  return {
    ...firstState(storageDir, min),
    nextItem: found.items + 1,
    versions: Object.fromEntries(found.versions),
    nextRequest: Math.max(0, ...found.requests.values()) + 1,
  };
}

/**
 * Each test runs twice: with the queue read back from its files (small queues), and with the
 * queue snapshotted and journaled from its first request, read back from the snapshot and journal.
 * The two modes run at the same time, in folders of their own: most of a mode's time is spent
 * waiting for the writer processes it starts. Within a mode the tests run one after the other, so
 * the checks of one scripted run's copies do not hold up more than the other mode's kills.
 */
describe.concurrent.each([
  { mode: 'queue read from its files', min: undefined },
  { mode: 'queue read from its snapshot and journal', min: 1 },
])('crash safety ($mode)', ({ min }) => {

  it.sequential('keeps every resolved write through 22 SIGKILLs at random moments, and each new process resumes', async () => {
    const rounds = 22;
    const storageDir = join(root, `killed-${min}`);
    let expected = emptyExpectation();
    let state = firstState(storageDir, min);
    let kills = 0;
    let reported = 0;
    // Each writer is started one round ahead and waits for its state on stdin: it loads while the
    // one before it runs and its folder is checked.
    let upcoming = startFixture(writer, ['loop', '-']);
    try {
      for (let round = 0; round < rounds; round++) {
        const running = upcoming;
        running.send(JSON.stringify(state));
        await running.waitFor('ready', 20_000);
        upcoming = startFixture(writer, ['loop', '-']);
        // Once the writer is under way (its first request handled or reclaimed), a kill at any moment.
        await running.waitFor((line) => line.startsWith('handled ') || line.startsWith('reclaimed '), 20_000);
        await sleep(50 + Math.random() * 250);
        running.child.kill('SIGKILL');
        const { signal } = await running.ended;
        expect(signal, `the writer ended by itself:\n${running.stderr()}`).toBe('SIGKILL');
        kills++;
        for (const line of running.lines) applyLine(expected, line);
        reported += running.lines.length - 1;
        expected = await verifyFolder(storageDir, expected, min);
        state = nextState(storageDir, expected, min);
      }
    } finally {
      upcoming.child.kill('SIGKILL');
      await upcoming.ended;
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    // Every writer did a round of each kind of write before it was killed.
    expect(reported).toBeGreaterThanOrEqual(rounds * 5);
    expect(expected.items).toBeGreaterThanOrEqual(rounds);
    expect(expected.requests.size).toBeGreaterThanOrEqual(rounds);
    rmSync(storageDir, { recursive: true, force: true });
  }, 120_000);

  it.sequential('resumable: requests in progress when the process was killed are pending again, in their order', async () => {
    const storageDir = join(root, `resumable-${min}`);
    const storageClient = openClient(storageDir, min);
    const queue = await RequestQueue.open({ storageClient });
    const ids: string[] = [];
    for (let n = 1; n <= 10; n++) ids.push((await queue.addRequest(requestUrl(n))).requestId);
    for (let i = 0; i < 2; i++) await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    storageClient.flush();

    const running = startFixture(writer, ['fetch-and-wait', JSON.stringify({ ...firstState(storageDir, min), fetch: 5 })]);
    await running.waitFor('waiting', 15_000);
    running.child.kill('SIGKILL');
    expect((await running.ended).signal).toBe('SIGKILL');
    const fetched = running.lines.filter((line) => line.startsWith('fetched ')).map((line) => line.slice(8));
    expect(fetched).toEqual(ids.slice(2, 7));

    const reopened = openClient(storageDir, min);
    const again = await RequestQueue.open({ storageClient: reopened });
    for (const id of fetched) {
      const request = await again.getRequest(id);
      expect(request?.handledAt, `request ${id} was in progress`).toBeUndefined();
    }
    expect(await again.isFinished()).toBe(false);
    const metadata = await again.getMetadata();
    expect([metadata.totalRequestCount, metadata.handledRequestCount, metadata.pendingRequestCount]).toEqual([10, 2, 8]);
    const served: string[] = [];
    for (let request = await again.fetchNextRequest(); request && served.length < 20; request = await again.fetchNextRequest()) {
      served.push(request.id);
      await again.markRequestAsHandled(request);
    }
    expect(served).toEqual(ids.slice(2));
    expect(await again.isFinished()).toBe(true);
    reopened.flush();
  }, 30_000);

  it.sequential('at every instant a scripted run can be killed, the folder holds the resolved writes and can be carried on', async () => {
    const storageDir = join(root, `scripted-${min}`);
    const snapshotDir = join(root, `snapshots-${min}`);
    const running = startFixture(writer, ['kill-points', JSON.stringify({ ...firstState(storageDir, min), snapshotDir })]);
    const { code } = await running.ended;
    expect(code, running.stderr()).toBe(0);
    const snapshots = readdirSync(snapshotDir).sort();
    // Every file write is cut at two points at least (half written, written but not renamed).
    expect(snapshots.length).toBeGreaterThan(60);
    let last: Expectation | undefined;
    for (const name of snapshots) {
      const dir = join(snapshotDir, name, 'storage');
      const expected = emptyExpectation();
      for (const line of readFileSync(join(snapshotDir, name, 'reported.txt'), 'utf8').split('\n')) if (line) applyLine(expected, line);
      const found = await verifyFolder(dir, expected, min).catch((error: Error) => {
        throw new Error(`Kill point ${name}: ${error.message}`, { cause: error });
      });
      await resumeAndVerify(dir, found, min).catch((error: Error) => {
        throw new Error(`Kill point ${name}, carrying on: ${error.message}`, { cause: error });
      });
      last = found;
      // Removed while its blocks are likely still unwritten: freeing written blocks is slow on some
      // disks (online discard), and the copies hold megabytes.
      rmSync(join(snapshotDir, name), { recursive: true, force: true });
    }
    // The last copy is the finished run: everything in it.
    expect(last?.items).toBe(5);
    expect(last?.handled.size).toBe(4);
  }, 90_000);
});
