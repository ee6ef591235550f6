import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, KeyValueStore, RequestQueue, StorageError, getDefaultStorageIds } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { MemoryStorageClient } from '@x/memory-client';
import { startServer, type RunningServer } from '@x/server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Actor, Log, resolveConfig, type LogLevel } from '../src/index.js';
import { removeTempDirs, tempDir } from './helpers.js';

const ACTOR_ENV = /^(APIFY_|ACTOR_|CRAWLEE_)/;

beforeEach(() => {
  // The tests set the variables they need; none leaks in from the shell.
  for (const key of Object.keys(process.env)) if (ACTOR_ENV.test(key)) vi.stubEnv(key, undefined);
});

afterEach(async () => {
  if (Actor.isInitialized()) await Actor.exit();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

afterAll(removeTempDirs);

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('configuration', () => {
  it('reads the environment names of the design, options win', () => {
    const env = {
      CRAWLEE_STORAGE_DIR: 'my-storage',
      APIFY_TOKEN: 'tok',
      APIFY_API_BASE_URL: 'http://127.0.0.1:9/',
      APIFY_IS_AT_HOME: '1',
      ACTOR_DEFAULT_DATASET_ID: 'ds1',
      APIFY_DEFAULT_DATASET_ID: 'ignored',
      APIFY_DEFAULT_KEY_VALUE_STORE_ID: 'kv1',
      ACTOR_DEFAULT_REQUEST_QUEUE_ID: 'rq1',
      ACTOR_INPUT_KEY: 'MY_INPUT',
      CRAWLEE_PURGE_ON_START: 'true',
      APIFY_PERSIST_STATE_INTERVAL_MILLIS: '500',
      APIFY_LOG_LEVEL: 'DEBUG',
    };
    expect(resolveConfig({}, env, '/work')).toEqual({
      storageDir: '/work/my-storage',
      token: 'tok',
      apiBaseUrl: 'http://127.0.0.1:9/',
      isAtHome: true,
      defaultDatasetId: 'ds1',
      defaultKeyValueStoreId: 'kv1',
      defaultRequestQueueId: 'rq1',
      inputKey: 'MY_INPUT',
      purge: true,
      persistStateIntervalMillis: 500,
      logLevel: 'debug',
    });
    const overridden = resolveConfig({ storageDir: '/abs', isAtHome: false, purge: false, inputKey: 'IN', logLevel: 'error' }, env, '/work');
    expect(overridden).toMatchObject({ storageDir: '/abs', isAtHome: false, purge: false, inputKey: 'IN', logLevel: 'error' });
  });

  it('has the documented defaults; APIFY_LOCAL_STORAGE_DIR is the second choice; empty counts as unset', () => {
    expect(resolveConfig({}, {}, '/w')).toEqual({
      storageDir: '/w/storage',
      token: undefined,
      apiBaseUrl: 'https://api.apify.com',
      isAtHome: false,
      defaultDatasetId: 'default',
      defaultKeyValueStoreId: 'default',
      defaultRequestQueueId: 'default',
      inputKey: 'INPUT',
      purge: false,
      persistStateIntervalMillis: 60_000,
      logLevel: 'info',
    });
    expect(resolveConfig({}, { APIFY_LOCAL_STORAGE_DIR: '/apify', CRAWLEE_STORAGE_DIR: '' }, '/w').storageDir).toBe('/apify');
    expect(resolveConfig({}, { CRAWLEE_PURGE_ON_START: '1' }, '/w').purge).toBe(true);
    expect(resolveConfig({}, { CRAWLEE_PURGE_ON_START: '0' }, '/w').purge).toBe(false);
    expect(resolveConfig({}, { CRAWLEE_LOG_LEVEL: 'warn' }, '/w').logLevel).toBe('warning');
  });

  it('names a malformed variable or option in a StorageError', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ APIFY_IS_AT_HOME: 'maybe' }, /APIFY_IS_AT_HOME/],
      [{ APIFY_PERSIST_STATE_INTERVAL_MILLIS: 'soon' }, /APIFY_PERSIST_STATE_INTERVAL_MILLIS/],
      [{ APIFY_API_BASE_URL: 'ftp://x' }, /APIFY_API_BASE_URL/],
      [{ APIFY_LOG_LEVEL: 'loud' }, /APIFY_LOG_LEVEL/],
    ];
    for (const [env, message] of cases) {
      expect(() => resolveConfig({}, env)).toThrow(message);
      expect(() => resolveConfig({}, env)).toThrow(StorageError);
    }
    expect(() => resolveConfig({ persistStateIntervalMillis: -1 }, {})).toThrow(/persistStateIntervalMillis/);
  });
});

describe('Actor with local storage', () => {
  it('uses @x/fs-client in CRAWLEE_STORAGE_DIR, with the default ids and input key from the environment', async () => {
    const storageDir = tempDir();
    vi.stubEnv('CRAWLEE_STORAGE_DIR', storageDir);
    vi.stubEnv('ACTOR_DEFAULT_DATASET_ID', 'run-dataset');
    vi.stubEnv('APIFY_DEFAULT_KEY_VALUE_STORE_ID', 'run-store');
    vi.stubEnv('ACTOR_DEFAULT_REQUEST_QUEUE_ID', 'run-queue');
    vi.stubEnv('ACTOR_INPUT_KEY', 'MY_INPUT');
    mkdirSync(join(storageDir, 'key_value_stores', 'run-store'), { recursive: true });
    writeFileSync(join(storageDir, 'key_value_stores', 'run-store', 'MY_INPUT.json'), '{"start":"https://example.com"}');
    const run = await Actor.init();
    expect(run.storageClient).toBeInstanceOf(FileSystemStorageClient);
    expect(run.config.storageDir).toBe(storageDir);
    expect(await Actor.getInput()).toEqual({ start: 'https://example.com' });
    await Actor.pushData([{ a: 1 }, { a: 2 }]);
    await Actor.setValue('note', 'plain text');
    await Actor.setValue('report.csv', 'a,b\n1,2', { contentType: 'text/csv' });
    expect(await Actor.getValue('note')).toBe('plain text');
    expect(await Actor.getValue('missing', 'fallback')).toBe('fallback');
    expect(await Actor.getValue('missing')).toBeNull();
    const queue = await Actor.openRequestQueue();
    await queue.addRequest('https://example.com/a');
    await Actor.exit();
    expect(readJson(join(storageDir, 'datasets', 'run-dataset', '000000002.json'))).toEqual({ a: 2 });
    expect(readFileSync(join(storageDir, 'key_value_stores', 'run-store', 'note.txt'), 'utf8')).toBe('plain text');
    const reopened = await KeyValueStore.open({ id: 'run-store', storageClient: new FileSystemStorageClient({ storageDir }) });
    expect(await reopened.getValue('report.csv')).toBe('a,b\n1,2');
    expect(existsSync(join(storageDir, 'request_queues', 'run-queue'))).toBe(true);
    // exit gave the registry back: the ids are the defaults again.
    expect(getDefaultStorageIds()).toEqual({ dataset: 'default', keyValueStore: 'default', requestQueue: 'default' });
  });

  it('opens storages by id and by name; a plain string is a name; an unknown id is not-found', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient() });
    const named = await Actor.openDataset({ name: 'my-results' });
    expect(named.name).toBe('my-results');
    expect(await Actor.openDataset('my-results')).toBe(named);
    expect(await Actor.openDataset({ id: named.id })).toBe(named);
    const store = await Actor.openKeyValueStore({ name: 'my-store' });
    await store.setValue('k', 1);
    expect(await (await Actor.openKeyValueStore({ id: store.id })).getValue('k')).toBe(1);
    await expect(Actor.openRequestQueue({ id: 'noSuchQueue' })).rejects.toSatisfy((e) => StorageError.is(e, 'not-found'));
    await expect(Actor.openDataset({ id: 'a', name: 'b' })).rejects.toSatisfy((e) => StorageError.is(e, 'invalid-argument'));
  });

  it('takes any storage client; init twice gives the same run; calls before init fail clearly', async () => {
    await expect(Actor.pushData({ a: 1 })).rejects.toThrow(/not initialized/);
    const client = new MemoryStorageClient();
    const first = await Actor.init({ storageClient: client });
    Actor.log.setLevel('error'); // the warning of the second init is expected
    const second = await Actor.init({ storageClient: new MemoryStorageClient() });
    Actor.log.setLevel('info');
    expect(second).toBe(first);
    await first.pushData({ via: 'handle' });
    expect((await (await Dataset.open({ storageClient: client })).getData()).items).toEqual([{ via: 'handle' }]);
    await first.exit();
    expect(Actor.isInitialized()).toBe(false);
    await Actor.exit(); // again: nothing to do
  });
});

describe('Actor.exit closes the storage clients', () => {
  it('awaits close() of the run\'s client, after the last persistState, so its metadata is on disk when exit resolves', async () => {
    const storageDir = tempDir();
    const closed: string[] = [];
    class WatchedFsClient extends FileSystemStorageClient {
      override async close(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await super.close();
        closed.push('closed');
      }
    }
    await Actor.init({ storageClient: new WatchedFsClient({ storageDir }) });
    await (await Actor.openKeyValueStore()).getAutoSavedValue('STATE', { n: 0 });
    await Actor.pushData([{ a: 1 }, { a: 2 }, { a: 3 }]);
    await Actor.exit();
    expect(closed).toEqual(['closed']);
    expect(readJson(join(storageDir, 'datasets', 'default', '__metadata__.json'))).toMatchObject({ itemCount: 3 });
    expect(readJson(join(storageDir, 'key_value_stores', 'default', 'STATE.json'))).toEqual({ n: 0 });
  });

  it('closes the cloud client it made for forceCloud storages too', async () => {
    const server = await startServer({ storageClient: new MemoryStorageClient(), token: 'exit-token' });
    try {
      vi.stubEnv('APIFY_TOKEN', 'exit-token');
      vi.stubEnv('APIFY_API_BASE_URL', server.url);
      const local = new MemoryStorageClient();
      let localClosed = 0;
      local.close = async () => {
        localClosed++;
      };
      await Actor.init({ storageClient: local });
      const remote = await Actor.openDataset({ name: 'remote', forceCloud: true });
      await remote.pushData({ remote: true });
      const cloudClient = remote.storageClient;
      let cloudClosed = 0;
      const close = cloudClient.close.bind(cloudClient);
      cloudClient.close = async () => {
        cloudClosed++;
        await close();
      };
      await Actor.exit();
      expect({ localClosed, cloudClosed }).toEqual({ localClosed: 1, cloudClosed: 1 });
    } finally {
      await server.close();
    }
  });
});

describe('purge', () => {
  async function seed(storageDir: string): Promise<void> {
    const client = new FileSystemStorageClient({ storageDir });
    await (await Dataset.open({ storageClient: client })).pushData({ old: true });
    const store = await KeyValueStore.open({ storageClient: client });
    await store.setValue('INPUT', { keep: 'me' });
    await store.setValue('OLD_STATE', { drop: 'me' });
    await (await RequestQueue.open({ storageClient: client })).addRequest('https://example.com/old');
    await (await Dataset.open({ name: 'named', storageClient: client })).pushData({ named: true });
    client.flush();
  }

  async function expectPurged(): Promise<void> {
    expect((await (await Actor.openDataset()).getData()).total).toBe(0);
    expect(await Actor.getInput()).toEqual({ keep: 'me' });
    expect(await Actor.getValue('OLD_STATE')).toBeNull();
    expect(await (await Actor.openRequestQueue()).isEmpty()).toBe(true);
    expect((await (await Actor.openDataset({ name: 'named' })).getData()).items).toEqual([{ named: true }]);
  }

  it('init({ purge: true }) empties the default storages, keeps INPUT and named storages', async () => {
    const storageDir = tempDir();
    await seed(storageDir);
    await Actor.init({ storageDir, purge: true });
    await expectPurged();
  });

  it('CRAWLEE_PURGE_ON_START=1 and =true purge too', async () => {
    for (const value of ['1', 'true']) {
      const storageDir = tempDir();
      await seed(storageDir);
      vi.stubEnv('CRAWLEE_PURGE_ON_START', value);
      await Actor.init({ storageDir });
      await expectPurged();
      await Actor.exit();
    }
  });

  it('does not purge by default', async () => {
    const storageDir = tempDir();
    await seed(storageDir);
    await Actor.init({ storageDir });
    expect((await (await Actor.openDataset()).getData()).items).toEqual([{ old: true }]);
    expect(await Actor.getValue('OLD_STATE')).toEqual({ drop: 'me' });
  });
});

describe('events', () => {
  it('emits persistState every APIFY_PERSIST_STATE_INTERVAL_MILLIS and once at exit; auto-saved values are written', async () => {
    const storageDir = tempDir();
    vi.stubEnv('APIFY_PERSIST_STATE_INTERVAL_MILLIS', '50');
    await Actor.init({ storageDir });
    const seen: boolean[] = [];
    const listener = (event: { isMigrating: boolean }): void => {
      seen.push(event.isMigrating);
    };
    Actor.on('persistState', listener);
    const state = await (await Actor.openKeyValueStore()).getAutoSavedValue('STATE', { count: 0 });
    state.count = 1;
    const file = join(storageDir, 'key_value_stores', 'default', 'STATE.json');
    await vi.waitFor(() => expect(existsSync(file) && readJson(file)).toEqual({ count: 1 }), { timeout: 5000, interval: 20 });
    const ticks = seen.length;
    expect(ticks).toBeGreaterThanOrEqual(1);
    state.count = 2;
    let exitSeen = false;
    Actor.on('exit', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      exitSeen = true;
    });
    await Actor.exit();
    expect(exitSeen).toBe(true);
    expect(readJson(file)).toEqual({ count: 2 });
    expect(seen.every((isMigrating) => !isMigrating)).toBe(true);
    const afterExit = seen.length;
    expect(afterExit).toBeGreaterThan(ticks - 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen.length).toBe(afterExit); // the interval stopped at exit
    Actor.off('persistState', listener);
  });

  it('off() removes a listener; the default interval is 60 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const run = await Actor.init({ storageClient: new MemoryStorageClient() });
    expect(run.config.persistStateIntervalMillis).toBe(60_000);
    let calls = 0;
    const listener = (): void => {
      calls++;
    };
    Actor.on('persistState', listener);
    vi.advanceTimersByTime(59_999);
    expect(calls).toBe(0);
    vi.advanceTimersByTime(1);
    expect(calls).toBe(1);
    Actor.off('persistState', listener);
    vi.advanceTimersByTime(60_000);
    expect(calls).toBe(1);
    const aborting = vi.fn();
    Actor.on('aborting', aborting);
    Actor.on('migrating', aborting);
    Actor.off('aborting', aborting);
    Actor.off('migrating', aborting);
  });
});

describe('cloud storage', () => {
  let server: RunningServer;
  let serverStorage: MemoryStorageClient;

  beforeAll(async () => {
    serverStorage = new MemoryStorageClient();
    server = await startServer({ storageClient: serverStorage, host: '127.0.0.1', token: 'cloud-token' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('forceCloud opens a storage on the server while the defaults stay local', async () => {
    vi.stubEnv('APIFY_TOKEN', 'cloud-token');
    vi.stubEnv('APIFY_API_BASE_URL', server.url);
    const local = new MemoryStorageClient();
    await Actor.init({ storageClient: local });
    const cloudDataset = await Actor.openDataset({ name: 'cloud-results', forceCloud: true });
    await cloudDataset.pushData([{ where: 'cloud' }]);
    const cloudStore = await Actor.openKeyValueStore({ name: 'cloud-store', forceCloud: true });
    await cloudStore.setValue('greeting', 'hello');
    const cloudQueue = await Actor.openRequestQueue({ name: 'cloud-queue', forceCloud: true });
    await cloudQueue.addRequest('https://example.com/cloud');
    await Actor.pushData({ where: 'local' });
    expect((await (await Dataset.open({ name: 'cloud-results', storageClient: serverStorage })).getData()).items).toEqual([{ where: 'cloud' }]);
    expect(await (await KeyValueStore.open({ name: 'cloud-store', storageClient: serverStorage })).getValue('greeting')).toBe('hello');
    expect((await (await RequestQueue.open({ name: 'cloud-queue', storageClient: serverStorage })).getMetadata()).totalRequestCount).toBe(1);
    expect((await (await Dataset.open({ storageClient: local })).getData()).items).toEqual([{ where: 'local' }]);
    expect((await serverStorage.listDatasets()).some((d) => d.name === undefined && d.itemCount > 0)).toBe(false);
  });

  it('APIFY_IS_AT_HOME puts the default storages on the server, with the ids from the environment', async () => {
    vi.stubEnv('APIFY_IS_AT_HOME', '1');
    vi.stubEnv('APIFY_TOKEN', 'cloud-token');
    vi.stubEnv('APIFY_API_BASE_URL', server.url);
    vi.stubEnv('ACTOR_DEFAULT_KEY_VALUE_STORE_ID', 'default');
    const serverStore = await KeyValueStore.open({ storageClient: serverStorage });
    await serverStore.setValue('INPUT', { from: 'platform' });
    const run = await Actor.init({ purge: true });
    expect(run.storageClient.name).toBe('cloud');
    expect(await Actor.getInput()).toEqual({ from: 'platform' });
    await Actor.pushData({ at: 'home' });
    await Actor.setValue('OUTPUT', { ok: true });
    expect(await Actor.openDataset({ forceCloud: true })).toBe(await Actor.openDataset());
    await Actor.exit();
    expect((await (await Dataset.open({ storageClient: serverStorage })).getData()).items).toEqual([{ at: 'home' }]);
    expect(await serverStore.getValue('OUTPUT')).toEqual({ ok: true });
  });

  it('a wrong token is an error from the server, without the token in it', async () => {
    await Actor.init({ storageClient: new MemoryStorageClient(), token: 'wrong-token', apiBaseUrl: server.url });
    const error = await Actor.openDataset({ name: 'x', forceCloud: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('wrong-token');
  });
});

describe('Actor.log', () => {
  it('writes levels at or above its level; debug and info to stdout, warning and error to stderr', () => {
    const lines: string[] = [];
    const log = new Log({ level: 'info', sink: { out: (l) => lines.push(`out ${l}`), err: (l) => lines.push(`err ${l}`) } });
    log.debug('hidden');
    log.info('shown', { n: 1 });
    log.warning('careful');
    log.warn('careful too');
    log.error('bad', new Error('why'));
    expect(lines[0]).toBe('out INFO    shown {"n":1}');
    expect(lines[1]).toBe('err WARNING careful');
    expect(lines[2]).toBe('err WARNING careful too');
    expect(lines[3]).toMatch(/^err ERROR {3}bad\n {2}Error: why/);
    log.setLevel('off');
    log.error('nothing');
    expect(lines).toHaveLength(4);
    expect(() => log.setLevel('loud' as LogLevel)).toThrow(/Unknown log level/);
  });

  it('takes its level from the option, else APIFY_LOG_LEVEL or CRAWLEE_LOG_LEVEL', async () => {
    vi.stubEnv('CRAWLEE_LOG_LEVEL', 'ERROR');
    await Actor.init({ storageClient: new MemoryStorageClient() });
    expect(Actor.log.getLevel()).toBe('error');
    await Actor.exit();
    vi.stubEnv('APIFY_LOG_LEVEL', 'off');
    await Actor.init({ storageClient: new MemoryStorageClient() });
    expect(Actor.log.getLevel()).toBe('off');
    await Actor.exit();
    await Actor.init({ storageClient: new MemoryStorageClient(), logLevel: 'warning' });
    expect(Actor.log.getLevel()).toBe('warning');
    await Actor.exit();
    Actor.log.setLevel('info');
  });
});

describe('a run after a run', () => {
  it('does not write the auto-saved values of an earlier run into its client', async () => {
    const earlierDir = tempDir();
    await Actor.init({ storageClient: new FileSystemStorageClient({ storageDir: earlierDir }) });
    const store = await Actor.openKeyValueStore({ name: 'state' });
    const state = await store.getAutoSavedValue('STATE', { n: 0 });
    state.n = 1;
    await Actor.exit();
    rmSync(earlierDir, { recursive: true, force: true });

    const later = new MemoryStorageClient();
    await Actor.init({ storageClient: later });
    state.n = 2;
    await Actor.exit(); // Before the release, this wrote STATE into the removed folder and failed.
    expect((await later.listKeyValueStores()).filter((store) => store.name === 'state')).toEqual([]);
  });
});
