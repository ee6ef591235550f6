import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Actor } from '../src/index.js';

// The names and signatures of the Apify SDK for JavaScript's `Actor` work as equals of ours.

const ACTOR_ENV = /^(APIFY_|ACTOR_|CRAWLEE_)/;
let savedExitCode: typeof process.exitCode;

beforeEach(() => {
  savedExitCode = process.exitCode;
  for (const key of Object.keys(process.env)) if (ACTOR_ENV.test(key)) vi.stubEnv(key, undefined);
});

afterEach(async () => {
  if (Actor.isInitialized()) await Actor.exit();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = savedExitCode;
});

/** Lines the Actor's log writes while `fn` runs. */
async function logged(fn: () => Promise<unknown>): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    await fn();
  } finally {
    vi.restoreAllMocks();
  }
  return { out, err };
}

describe('Actor.openDataset / openKeyValueStore / openRequestQueue(idOrName, { forceCloud })', () => {
  let server: RunningServer;
  let serverStorage: MemoryStorageClient;

  beforeAll(async () => {
    serverStorage = new MemoryStorageClient();
    server = await startServer({ storageClient: serverStorage, token: 'names-token' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('honours the second argument: forceCloud opens on the server, the same name without it stays local', async () => {
    vi.stubEnv('APIFY_TOKEN', 'names-token');
    vi.stubEnv('APIFY_API_BASE_URL', server.url);
    const local = new MemoryStorageClient();
    await Actor.init({ storageClient: local });
    const cloudDataset = await Actor.openDataset('sdk-results', { forceCloud: true });
    await cloudDataset.pushData({ where: 'cloud' });
    const cloudStore = await Actor.openKeyValueStore('sdk-store', { forceCloud: true });
    await cloudStore.setValue('greeting', 'hello');
    const cloudQueue = await Actor.openRequestQueue('sdk-queue', { forceCloud: true });
    await cloudQueue.addRequest('https://example.com/cloud');
    const localDataset = await Actor.openDataset('sdk-results');
    await localDataset.pushData({ where: 'local' });
    expect(localDataset).not.toBe(cloudDataset);
    expect(localDataset.storageClient).toBe(local);
    expect(cloudDataset.storageClient.name).toBe('cloud');
    expect((await (await Dataset.open({ name: 'sdk-results', storageClient: serverStorage })).getData()).items).toEqual([{ where: 'cloud' }]);
    expect(await (await KeyValueStore.open({ name: 'sdk-store', storageClient: serverStorage })).getValue('greeting')).toBe('hello');
    expect(await (await RequestQueue.open({ name: 'sdk-queue', storageClient: serverStorage })).getTotalCount()).toBe(1);
    expect((await (await Dataset.open({ name: 'sdk-results', storageClient: local })).getData()).items).toEqual([{ where: 'local' }]);
    // The second argument wins over forceCloud in the first.
    expect((await Actor.openDataset({ name: 'sdk-results', forceCloud: true }, { forceCloud: false })).storageClient).toBe(local);
  });

  it('a string is an id or a name: the id of a storage on the server opens it, by the cloud client', async () => {
    vi.stubEnv('APIFY_TOKEN', 'names-token');
    vi.stubEnv('APIFY_API_BASE_URL', server.url);
    const made = await Dataset.open({ name: 'made-on-server', storageClient: serverStorage });
    await made.pushData({ id: 'known' });
    await Actor.init({ storageClient: new MemoryStorageClient() });
    const byId = await Actor.openDataset(made.id, { forceCloud: true });
    expect(byId.id).toBe(made.id);
    expect(byId.name).toBe('made-on-server');
    expect((await byId.getData()).items).toEqual([{ id: 'known' }]);
    // No dataset was made with the id as its name.
    expect((await serverStorage.listDatasets()).filter((d) => d.name === made.id)).toEqual([]);
  });

  it('null and undefined open the default storages, as with no argument', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient() });
    expect(await Actor.openDataset(null)).toBe(await Actor.openDataset());
    expect(await Actor.openKeyValueStore(undefined, {})).toBe(await Actor.openKeyValueStore());
    expect(await Actor.openRequestQueue(null, { forceCloud: false })).toBe(await Actor.openRequestQueue());
    await expect(Actor.openDataset(null, 'cloud' as never)).rejects.toThrow('{ forceCloud? }');
  });
});

describe('Actor.exit(message) and Actor.fail', () => {
  it('exit takes the status message first, as the Apify SDK does, and logs it', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient() });
    const { out } = await logged(() => Actor.exit('All done'));
    expect(out).toContain('All done');
    expect(Actor.isInitialized()).toBe(false);
    expect(process.exitCode ?? 0).toBe(savedExitCode ?? 0);
  });

  it('fail ends the run with exit code 1 and logs the message as an error; options still apply', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient() });
    await Actor.pushData({ saved: 'before failing' });
    const dataset = await Actor.openDataset();
    const { err } = await logged(() => Actor.fail('Something broke'));
    expect(err).toMatch(/ERROR.*Something broke/);
    expect(process.exitCode).toBe(1);
    expect(Actor.isInitialized()).toBe(false);
    expect((await dataset.getData()).items).toEqual([{ saved: 'before failing' }]);
    await Actor.init({ storageClient: new MemoryStorageClient() });
    await Actor.fail({ statusMessage: 'custom', exitCode: 3 });
    expect(process.exitCode).toBe(3);
  });
});

describe('Actor.useState, setStatusMessage and getEnv', () => {
  it('useState gives an object saved for you under APIFY_GLOBAL_STATE, or a name, in a named store', async () => {
    const storageClient = new MemoryStorageClient();
    await Actor.init({ storageClient });
    const state = await Actor.useState<{ count: number }>(undefined, { count: 0 });
    state.count += 2;
    expect(await Actor.useState()).toBe(state);
    const named = await Actor.useState('CRAWL_STATE', { pages: [] as string[] }, { keyValueStoreName: 'states' });
    named.pages.push('https://example.com');
    const plain = await Actor.useState('EMPTY');
    expect(plain).toEqual({});
    await Actor.exit();
    const store = await KeyValueStore.open({ storageClient });
    expect(await store.getValue('APIFY_GLOBAL_STATE')).toEqual({ count: 2 });
    expect(await (await KeyValueStore.open({ name: 'states', storageClient })).getValue('CRAWL_STATE')).toEqual({ pages: ['https://example.com'] });
  });

  it('setStatusMessage logs "[Status message]: …" at the level given', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient() });
    const info = await logged(() => Actor.setStatusMessage('Crawled 10 pages'));
    expect(info.out).toContain('[Status message]: Crawled 10 pages');
    const warning = await logged(() => Actor.setStatusMessage('Slow', { level: 'WARNING' }));
    expect(warning.err).toMatch(/WARN.*\[Status message\]: Slow/);
  });

  it('getEnv gives the variables by their camel-case names, null when unset; ACTOR_ names win', () => {
    const env = Actor.getEnv({
      ACTOR_ID: 'actor-1',
      APIFY_ACTOR_RUN_ID: 'run-1',
      APIFY_TOKEN: 'tok',
      ACTOR_DEFAULT_DATASET_ID: 'ds-new',
      APIFY_DEFAULT_DATASET_ID: 'ds-old',
      ACTOR_STARTED_AT: '2025-01-02T03:04:05.000Z',
      ACTOR_MEMORY_MBYTES: '4096',
      APIFY_IS_AT_HOME: '1',
    });
    expect(env).toMatchObject({
      actorId: 'actor-1',
      actorRunId: 'run-1',
      token: 'tok',
      defaultDatasetId: 'ds-new',
      startedAt: new Date('2025-01-02T03:04:05.000Z'),
      memoryMbytes: 4096,
      isAtHome: '1',
      defaultKeyValueStoreId: null,
      timeoutAt: null,
      apiBaseUrl: null,
    });
  });
});
