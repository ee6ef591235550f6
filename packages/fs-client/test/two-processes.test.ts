import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset, KeyValueStore } from '@x/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemStorageClient } from '../src/index.js';
import { prepareFixture, startFixture, type FixtureCommand } from './fixtures/child-process.js';

// What the README promises for two processes on one folder: several writers of one dataset lose
// no item (item files are never replaced), and no process ever leaves a broken file.
describe('two processes on one storage folder', () => {
  let work: string;
  let command: FixtureCommand;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'x-fs-two-processes-'));
    command = await prepareFixture('concurrent-writer', work);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('pushing to one dataset at the same time, they lose no item and break no file', async () => {
    const storageDir = join(work, 'storage');
    const count = 400;
    const writers = ['a', 'b'].map((writer) => startFixture(command, [storageDir, writer, String(count)]));
    // Both have opened the empty dataset before either pushes: both start at item 1.
    await Promise.all(writers.map((w) => w.waitFor('ready', 30_000)));
    for (const w of writers) w.send('go');
    const ended = await Promise.all(writers.map((w) => w.ended));
    for (const [i, end] of ended.entries()) expect(end, writers[i]!.stderr()).toEqual({ code: 0, signal: null });

    const storageClient = new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
    const dataset = await Dataset.open({ name: 'shared', storageClient });
    const { items, total } = await dataset.getData();
    expect(total).toBe(2 * count);
    for (const writer of ['a', 'b']) {
      // Every item of each writer is there once, in the order that writer pushed them.
      expect(items.filter((item) => item['writer'] === writer).map((item) => item['i'])).toEqual(Array.from({ length: count }, (_, i) => i));
    }
    const folder = join(storageDir, 'datasets', 'shared');
    const itemFiles = readdirSync(folder).filter((name) => /^\d{9}\.json$/.test(name)).sort();
    expect(itemFiles).toEqual(Array.from({ length: 2 * count }, (_, i) => `${String(i + 1).padStart(9, '0')}.json`));

    const store = await KeyValueStore.open({ name: 'shared', storageClient });
    expect(await store.getValue('own-a')).toEqual({ writer: 'a', i: count - 10 });
    expect(await store.getValue('own-b')).toEqual({ writer: 'b', i: count - 10 });
    const both = await store.getValue<{ writer: string; i: number }>('both');
    expect(['a', 'b']).toContain(both?.writer);
    expect(both?.i).toBe(count - 10);

    for (const sub of ['datasets/shared', 'key_value_stores/shared']) {
      for (const name of readdirSync(join(storageDir, sub))) {
        expect(name.endsWith('.x-tmp'), `${sub}/${name} is a leftover temporary file`).toBe(false);
        if (name.endsWith('.json')) expect(() => JSON.parse(readFileSync(join(storageDir, sub, name), 'utf8')), `${sub}/${name}`).not.toThrow();
      }
    }
  }, 60_000);

  it("opening a folder deletes the temporary files of ended processes, not those of a running one", async () => {
    const storageDir = join(work, 'temps');
    const folder = join(storageDir, 'datasets', 'default');
    mkdirSync(folder, { recursive: true });
    const running = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const ended = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(ended, 'exit');
    try {
      const names = {
        running: `.000000001.json.${running.pid}.1.x-tmp`,
        ended: `.000000002.json.${ended.pid}.1.x-tmp`,
        ours: `.__metadata__.json.${process.pid}.999999.x-tmp`,
        nameless: '.odd.x-tmp',
      };
      for (const name of Object.values(names)) writeFileSync(join(folder, name), '{"half":');
      const storageClient = new FileSystemStorageClient({ storageDir, logger: { warn: () => {} } });
      const dataset = await Dataset.open({ storageClient });
      expect((await dataset.getData()).total).toBe(0);
      expect(existsSync(join(folder, names.running)), 'a running process is still writing it').toBe(true);
      expect(existsSync(join(folder, names.ended))).toBe(false);
      expect(existsSync(join(folder, names.ours)), 'no write of this process is using it').toBe(false);
      expect(existsSync(join(folder, names.nameless))).toBe(false);
    } finally {
      running.kill('SIGKILL');
    }
  });
});
