import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestQueue } from '@x/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';

const MIN = 50;
const dirs: string[] = [];

function client(storageDir: string): FileSystemStorageClient {
  return new FileSystemStorageClient({ storageDir, queueSnapshotMinRequests: MIN, logger: { warn: () => {} } });
}

/** A queue of 60 requests (5 forefront), 10 of them handled, written by a client that flushed. */
async function preparedQueue(): Promise<{ storageDir: string; folder: string; order: string[] }> {
  const storageDir = mkdtempSync(join(tmpdir(), 'x-fs-snapshot-'));
  dirs.push(storageDir);
  const writer = client(storageDir);
  const queue = await RequestQueue.open({ name: 'big', storageClient: writer });
  await queue.addRequests(Array.from({ length: 55 }, (_, i) => `https://example.com/${i}`));
  await queue.addRequests(Array.from({ length: 5 }, (_, i) => `https://example.com/front-${i}`), { forefront: true });
  for (let i = 0; i < 10; i++) await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
  const order = (await (await writer.openRequestQueue({ kind: 'name', name: 'big' })).listHead({ limit: 100 })).map((r) => r.url);
  writer.flush();
  return { storageDir, folder: join(storageDir, 'request_queues', 'big'), order };
}

async function drain(queue: RequestQueue): Promise<string[]> {
  const urls: string[] = [];
  for (let r = await queue.fetchNextRequest(); r; r = await queue.fetchNextRequest()) {
    urls.push(r.url);
    await queue.markRequestAsHandled(r);
  }
  return urls;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('request queue snapshot', () => {
  it('is written for a large queue and gives the same queue when opened again', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    expect(existsSync(join(folder, '.x-index', 'queue-snapshot.txt'))).toBe(true);
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: 60, handledRequestCount: 10, pendingRequestCount: 50 });
    expect(await drain(queue)).toEqual(order);
    expect(order.slice(0, 1)).toEqual(['https://example.com/5']); // the 5 forefront and /0 to /4 were handled
  });

  it('is what an unchanged folder opens from: the request files are not read', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    // Rewriting a file in place (no rename) leaves the folder's time as it was: the snapshot still
    // holds, and the open takes the snapshot's word for the file (pending) over the file (handled).
    const path = join(folder, `${idOf(folder, order[0]!)}.json`);
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, orderNo: null }));
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect((await queue.getMetadata()).pendingRequestCount).toBe(50);
  });

  it('no longer holds after a change to the folder: the files are read', async () => {
    const { storageDir, order } = await preparedQueue();
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    // Handled without a flush afterwards, as if the process had been killed: the snapshot is stale.
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    const reopened = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(await reopened.getMetadata()).toMatchObject({ handledRequestCount: 11, pendingRequestCount: 49 });
    expect(await drain(reopened)).toEqual(order.slice(1));
  });

  it('is ignored when damaged', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    const snapshot = join(folder, '.x-index', 'queue-snapshot.txt');
    writeFileSync(snapshot, readFileSync(snapshot, 'utf8').slice(0, 200));
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(await queue.getMetadata()).toMatchObject({ totalRequestCount: 60, pendingRequestCount: 50 });
    expect(await drain(queue)).toEqual(order);
  });

  it('is not written for a small queue', async () => {
    const storageDir = mkdtempSync(join(tmpdir(), 'x-fs-snapshot-'));
    dirs.push(storageDir);
    const small = client(storageDir);
    const queue = await RequestQueue.open({ name: 'small', storageClient: small });
    await queue.addRequests(Array.from({ length: MIN - 1 }, (_, i) => `https://example.com/${i}`));
    small.flush();
    expect(existsSync(join(storageDir, 'request_queues', 'small', '.x-index'))).toBe(false);
  });
});

/** Rewrites request `url`'s file in place as handled: the folder's time does not move, so only an open that reads the files sees it. */
function markHandledInPlace(folder: string, url: string): void {
  const path = join(folder, `${idOf(folder, url)}.json`);
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...file, orderNo: null }));
}

describe('request queue journal', () => {
  it('lets a queue whose process was killed reopen from the snapshot and the journal, without reading the files', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    await queue.reclaimRequest((await queue.fetchNextRequest())!, { forefront: true });
    await queue.addRequest('https://example.com/new', { forefront: true });
    // No flush: as if the process had been killed. The journal has the three changes.
    const journal = readFileSync(join(folder, '.x-index', 'queue-journal.txt'), 'utf8').split('\n');
    expect(journal.filter((line) => /^[rdm]\t/.test(line)).length).toBeGreaterThanOrEqual(3);
    markHandledInPlace(folder, order.at(-1)!);
    const reopened = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(await reopened.getMetadata()).toMatchObject({ totalRequestCount: 61, handledRequestCount: 11, pendingRequestCount: 50 });
    expect(await drain(reopened)).toEqual(['https://example.com/new', order[1], ...order.slice(2)]);
  });

  it('checks the last change it announced against the file: a change never made is not taken', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    // Announced, then killed before the temporary file was renamed into place.
    const id = idOf(folder, order[1]!);
    const temp = `.${id}.json.99999.1.x-tmp`;
    writeFileSync(join(folder, temp), '{"orderNo":nu');
    appendFileSync(join(folder, '.x-index', 'queue-journal.txt'), `r\t${id}\t-\t${temp}\n`);
    const reopened = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(await reopened.getMetadata()).toMatchObject({ handledRequestCount: 11, pendingRequestCount: 49 });
    expect(existsSync(join(folder, temp))).toBe(false);
    expect(await drain(reopened)).toEqual(order.slice(1));
  });

  it('does not hold when the folder changed after its last line, or when it is damaged: the files are read', async () => {
    for (const spoil of ['late change', 'damaged'] as const) {
      const { storageDir, folder, order } = await preparedQueue();
      const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
      await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
      const journalPath = join(folder, '.x-index', 'queue-journal.txt');
      if (spoil === 'late change') {
        // The journal's last line 10 s before the folder's last change: another program's doing.
        const past = new Date(Date.now() - 10_000);
        utimesSync(journalPath, past, past);
        writeFileSync(join(folder, 'foreign.txt'), 'x');
      } else {
        appendFileSync(journalPath, 'not a journal line\n');
      }
      markHandledInPlace(folder, order.at(-1)!);
      const reopened = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
      expect(await reopened.getMetadata(), spoil).toMatchObject({ handledRequestCount: 12, pendingRequestCount: 48 });
      expect(await drain(reopened), spoil).toEqual(order.slice(1, -1));
    }
  });

  it('naming a request that cannot be a file name makes the open read the files, and nothing outside the folder', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    writeFileSync(join(storageDir, 'outside.json'), JSON.stringify({ orderNo: 1, id: 'x', json: '{}' }));
    appendFileSync(join(folder, '.x-index', 'queue-journal.txt'), 'r\t../../outside\t5\t.t.x-tmp\n');
    const warnings: string[] = [];
    const storageClient = new FileSystemStorageClient({ storageDir, queueSnapshotMinRequests: MIN, logger: { warn: (m) => warnings.push(m) } });
    const reopened = await RequestQueue.open({ name: 'big', storageClient });
    expect(warnings.join('\n')).toContain('../../outside');
    expect(await reopened.getMetadata()).toMatchObject({ totalRequestCount: 60, handledRequestCount: 11 });
    expect(await drain(reopened)).toEqual(order.slice(1));
  });

  it('is given up when a change it announced fails: the next open reads the files', async () => {
    const { storageDir, folder, order } = await preparedQueue();
    const queue = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    const request = (await queue.fetchNextRequest())!;
    // A folder where the request file should go: renaming the new file into place fails.
    const path = join(folder, `${request.id}.json`);
    rmSync(path);
    mkdirSync(path);
    await expect(queue.markRequestAsHandled(request)).rejects.toThrow();
    expect(existsSync(join(folder, '.x-index', 'queue-journal.txt'))).toBe(false);
    rmSync(path, { recursive: true });
    const reopened = await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    // The request's file is gone, so the queue has one request less; none is handled twice.
    expect(await reopened.getMetadata()).toMatchObject({ totalRequestCount: 59, handledRequestCount: 10 });
    expect(await drain(reopened)).toEqual(order.slice(1));
  });

  it('is deleted when the queue opens smaller than snapshots are made for', async () => {
    const { storageDir, folder } = await preparedQueue();
    const storageClient = client(storageDir);
    const queue = await RequestQueue.open({ name: 'big', storageClient });
    const raw = await storageClient.openRequestQueue({ kind: 'name', name: 'big' });
    for (const { id } of (await raw.listRequests({ limit: 11 })).items) await raw.deleteRequest(id);
    expect((await queue.getMetadata()).totalRequestCount).toBe(MIN - 1);
    await RequestQueue.open({ name: 'big', storageClient: client(storageDir) });
    expect(existsSync(join(folder, '.x-index'))).toBe(false);
  });

  it('starts empty again after each snapshot', async () => {
    const { storageDir, folder } = await preparedQueue();
    const storageClient = client(storageDir);
    const queue = await RequestQueue.open({ name: 'big', storageClient });
    await queue.markRequestAsHandled((await queue.fetchNextRequest())!);
    const journalPath = join(folder, '.x-index', 'queue-journal.txt');
    expect(readFileSync(journalPath, 'utf8').split('\n').length).toBeGreaterThan(2);
    storageClient.flush();
    expect(readFileSync(journalPath, 'utf8')).toMatch(/^x-queue-journal 1 \d+\n$/);
  });
});

/** The id of the request file whose url is `url`. */
function idOf(folder: string, url: string): string {
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.json') || name.startsWith('__')) continue;
    const file = JSON.parse(readFileSync(join(folder, name), 'utf8')) as { id: string; url: string };
    if (file.url === url) return file.id;
  }
  throw new Error(`no request file for ${url}`);
}
