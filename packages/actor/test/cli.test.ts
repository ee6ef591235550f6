import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Dataset, KeyValueStore, RequestQueue } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_USAGE, CliUsageError, parseCliArgs } from '../src/cli-args.js';
import { exportDataset, findDataset } from '../src/cli-export.js';
import { prepareRun } from '../src/cli-run.js';
import { ProgressBar, wantsProgressBar } from '../src/progress-bar.js';
import { builtActorFixture, builtCliArgs, cleanEnv, removeTempDirs, runCli, tempDir, withoutNpmConfig } from './helpers.js';
import { readCsv, readHtmlTable, readXlsx, readXml } from '../../core/test/export-readers.js';

// The bin runs in child processes from the build, as an installed package runs it (see
// builtCliArgs); repo-bins.test.ts runs it from the sources through tsx.

afterAll(removeTempDirs);

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('x-actor arguments', () => {
  it('parses every command', () => {
    expect(parseCliArgs(['run'])).toEqual({ command: 'run', purge: false, input: undefined, argv: [] });
    expect(parseCliArgs(['run', '--purge', '--input', '{}', '--', 'node', 'main.js', '--purge'])).toEqual({
      command: 'run',
      purge: true,
      input: '{}',
      argv: ['node', 'main.js', '--purge'],
    });
    expect(parseCliArgs(['storages'])).toEqual({ command: 'storages' });
    expect(parseCliArgs(['export', 'ds', '--format', 'csv', '--output', 'o.csv'])).toEqual({ command: 'export', dataset: 'ds', format: 'csv', output: 'o.csv', options: {} });
    expect(parseCliArgs(['export', '-h'])).toEqual({ command: 'help', topic: 'export' });
    const bad = [[], ['nope'], ['run', 'extra'], ['run', '--'], ['run', '--input'], ['storages', 'x'], ['export'], ['export', 'a', 'b', '--format', 'json'], ['export', 'a'], ['export', 'a', '--format', 'yaml'], ['export', 'a', '--format', 'csv', '--limit', '-1'], ['run', '--bogus']];
    for (const args of bad) expect(() => parseCliArgs(args), args.join(' ')).toThrow(CliUsageError);
  });

  it('--help on every command', () => {
    for (const command of ['run', 'storages', 'export'] as const) {
      expect(parseCliArgs([command, '--help'])).toEqual({ command: 'help', topic: command });
      expect(CLI_USAGE[command]).toContain(`Usage: x-actor ${command}`);
    }
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help', topic: 'main' });
  });

  it('the bin prints help, and gives bad arguments one line on stderr and exit code 2', async () => {
    const cwd = tempDir();
    const [help, bad] = await Promise.all([runCli(['export', '--help'], { cwd }), runCli(['export', 'default', '--format', 'yaml'], { cwd })]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: x-actor export DATASET --format json|jsonl|csv|xlsx|xml|html|rss [--output FILE] [options]');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('x-actor: export: --format must be one of json, jsonl, csv, xlsx, xml, html, rss, got "yaml"\n');
    expect(existsSync(join(cwd, 'storage'))).toBe(false);
  });
});

describe('x-actor run', () => {
  it('writes the input, runs a real Actor with CRAWLEE_STORAGE_DIR absolute, exits with its code', async () => {
    const cwd = tempDir();
    const fixture = await builtActorFixture();
    const result = await runCli(['run', '--input', '{"greeting":"hello"}', '--', process.execPath, fixture], {
      cwd,
      env: cleanEnv({ FIXTURE_MODE: 'success' }),
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readJson(join(cwd, 'storage', 'key_value_stores', 'default', 'INPUT.json'))).toEqual({ greeting: 'hello' });
    expect(readJson(join(cwd, 'storage', 'datasets', 'default', '000000001.json'))).toEqual({ greeting: 'hello' });
  });

  it('--purge empties the default storages first; --input FILE; the default command is npm start; the exit code passes through', async () => {
    const cwd = tempDir();
    const storageDir = join(cwd, 'custom-storage');
    const client = new FileSystemStorageClient({ storageDir });
    await (await Dataset.open({ storageClient: client })).pushData({ old: 1 });
    await (await KeyValueStore.open({ storageClient: client })).setValue('OLD', 'x');
    client.flush();
    writeFileSync(join(cwd, 'input.json'), '{"from":"file"}');
    const script =
      "const fs=require('fs'),p=require('path');const d=process.env.CRAWLEE_STORAGE_DIR;" +
      "console.log(JSON.stringify({abs:p.isAbsolute(d),dir:d,input:JSON.parse(fs.readFileSync(p.join(d,'key_value_stores/default/INPUT.json'),'utf8'))," +
      "datasets:fs.readdirSync(p.join(d,'datasets')).length,old:fs.existsSync(p.join(d,'key_value_stores/default/OLD.txt'))}));process.exit(7)";
    writeFileSync(join(cwd, 'main.cjs'), script);
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'my-actor', private: true, scripts: { start: 'node main.cjs' } }));
    const result = await runCli(['run', '--purge', '--input', 'input.json'], { cwd, env: cleanEnv({ CRAWLEE_STORAGE_DIR: 'custom-storage' }) });
    expect(result.status).toBe(7);
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    expect(JSON.parse(line!)).toEqual({ abs: true, dir: storageDir, input: { from: 'file' }, datasets: 0, old: false });
  });

  it('without a start script (or a package.json), says what to do instead of npm\'s error, and writes nothing', async () => {
    const manifest = JSON.stringify({ name: 'my-actor', private: true, scripts: { test: 'true' } });
    const cwd = tempDir();
    writeFileSync(join(cwd, 'package.json'), manifest);
    const empty = tempDir();
    // npm starts server.js when there is no start script, also from a folder below: that still runs.
    const withServer = tempDir();
    writeFileSync(join(withServer, 'package.json'), manifest);
    writeFileSync(join(withServer, 'server.js'), 'console.log("SERVER RAN")');
    mkdirSync(join(withServer, 'sub'));
    // Three folders of their own, so the three runs can go at once.
    const [noScript, noPackage, server] = await Promise.all([
      runCli(['run', '--input', '{"a":1}'], { cwd }),
      runCli(['run'], { cwd: empty }),
      runCli(['run'], { cwd: join(withServer, 'sub'), env: withoutNpmConfig(cleanEnv()) }),
    ]);
    expect(noScript.status).toBe(2);
    expect(noScript.stdout).toBe('');
    expect(noScript.stderr).toBe(
      `x-actor: run: ${join(cwd, 'package.json')} has no "start" script to run: add one, such as "start": "node main.js", or give the command to run after "--", e.g. x-actor run -- node main.js\n`,
    );
    expect(existsSync(join(cwd, 'storage'))).toBe(false);
    expect(noPackage.status).toBe(2);
    expect(noPackage.stderr).toBe(
      `x-actor: run: there is no package.json in ${empty} or above to "npm start": run x-actor in your Actor's folder, or give the command to run after "--", e.g. x-actor run -- node main.js\n`,
    );
    expect(server.stderr).toBe('');
    expect(server.status).toBe(0);
    expect(server.stdout).toContain('SERVER RAN');
  });

  it('a bad --input is a usage error and nothing runs', async () => {
    const cwd = tempDir();
    const result = await runCli(['run', '--input', '{"broken"', '--', 'node', '-e', 'console.log("RAN")'], { cwd });
    expect(result.status).toBe(2);
    expect(result.stdout).not.toContain('RAN');
    expect(result.stderr).toMatch(/^x-actor: run: --input is not valid JSON[^\n]+\n$/);
    await expect(prepareRun({ purge: false, input: join(cwd, 'no-such-file.json') })).rejects.toThrow(/neither JSON nor a readable file/);
  });
});

describe('x-actor storages and export', () => {
  let cwd: string;
  let storageDir: string;

  beforeAll(async () => {
    cwd = tempDir();
    storageDir = join(cwd, 'storage');
    const client = new FileSystemStorageClient({ storageDir });
    const items = Array.from({ length: 1500 }, (_, i) => ({ n: i, name: `item "${i}"`, tags: i === 0 ? ['a', 'b'] : [], ...(i === 1 ? { extra: 'x,y' } : {}) }));
    await (await Dataset.open({ storageClient: client })).pushData(items);
    await (await Dataset.open({ name: 'small', storageClient: client })).pushData([{ a: 1, nested: { b: 2 } }, { c: 'line\nbreak' }]);
    const store = await KeyValueStore.open({ storageClient: client });
    await store.setValue('INPUT', { q: 1 });
    await store.setValue('state', 'text');
    await KeyValueStore.open({ name: 'empty-store', storageClient: client });
    const queue = await RequestQueue.open({ name: 'my-queue', storageClient: client });
    await queue.addRequests(['https://example.com/1', 'https://example.com/2', 'https://example.com/3']);
    const request = await queue.fetchNextRequest();
    await queue.markRequestAsHandled(request!);
    client.flush();
  });

  it('storages: a table with item, record and request counts', async () => {
    const result = await runCli(['storages'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Storages in ${storageDir}`);
    expect(lines[2]).toMatch(/^TYPE\s+NAME\s+ID\s+COUNT$/);
    const rows = lines.slice(3).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['dataset', '-', 'default', '1500 items'],
      ['dataset', 'small', expect.any(String), '2 items'],
      ['key-value store', '-', 'default', '2 records'],
      ['key-value store', 'empty-store', expect.any(String), '0 records'],
      ['request queue', 'my-queue', expect.any(String), '3 requests (1 handled, 2 pending)'],
    ]);
  });

  it('export: json, jsonl and csv of the same items; a missing dataset is an error', async () => {
    const client = new FileSystemStorageClient({ storageDir });
    const dataset = await findDataset(client, 'small');
    const outputs: Record<string, string> = {};
    for (const format of ['json', 'jsonl', 'csv'] as const) {
      const out = new PassThrough();
      let text = '';
      out.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      expect(await exportDataset(dataset, format, out, { isTTY: false, write: () => true })).toBe(2);
      out.end();
      outputs[format] = text;
    }
    expect(JSON.parse(outputs['json']!)).toEqual([{ a: 1, nested: { b: 2 } }, { c: 'line\nbreak' }]);
    expect(outputs['jsonl']).toBe('{"a":1,"nested":{"b":2}}\n{"c":"line\\nbreak"}\n');
    await expect(findDataset(client, 'nothing-here')).rejects.toThrow('No dataset named or with id "nothing-here"');
    const csv = await runCli(['export', 'small', '--format', 'csv'], { cwd });
    expect(csv.stderr).toBe('');
    expect(csv.status).toBe(0);
    expect(csv.stdout).toBe('a,nested/b,c\r\n1,2,\r\n,,"line\nbreak"\r\n');
  });

  it('export of a large dataset streams every item, with no progress bar when stderr is not a terminal', async () => {
    const result = await runCli(['export', 'default', '--format', 'csv', '--output', 'out/all.csv'], { cwd });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('Exported 1500 items of dataset "default" to out/all.csv\n');
    const lines = readFileSync(join(cwd, 'out', 'all.csv'), 'utf8').split('\r\n');
    expect(lines[0]).toBe('n,name,tags/0,tags/1,extra');
    expect(lines[1]).toBe('0,"item ""0""",a,b,');
    expect(lines[2]).toBe('1,"item ""1""",,,"x,y"');
    expect(lines[1500]).toBe('1499,"item ""1499""",,,');
    expect(lines).toHaveLength(1502);
  });

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('shows a progress bar on a terminal for a large dataset', () => {
    const command = [process.execPath, ...builtCliArgs(), 'export', 'default', '--format', 'json', '--output', 'tty.json'].map((a) => `'${a}'`).join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Exporting 1500 items [');
    expect(result.stdout).toContain('100% 1500/1500');
    expect(readJson(join(cwd, 'tty.json'))).toHaveLength(1500);
  });
});

describe('x-actor export in every format', () => {
  let cwd: string;
  const items = [
    { id: 1, title: 'Ann & <Co>', tags: ['a', 'b'], seller: { name: 'x' }, offers: [{ p: 1 }, { p: 2 }], '#debug': 1 },
    { id: 2, title: '=cmd|\' /C calc\'!A0', note: 'two\nlines, "quoted"', offers: { p: 3 } },
    { id: 3, title: 'plain', seller: { name: 'z', rating: 5 } },
  ];

  beforeAll(async () => {
    cwd = tempDir();
    const client = new FileSystemStorageClient({ storageDir: join(cwd, 'storage') });
    await (await Dataset.open({ name: 'shop', storageClient: client })).pushData(items);
    await client.close();
  });

  it('writes json, jsonl, csv, xlsx, xml, html and rss files that parsers read back (child processes)', async () => {
    const formats = ['json', 'jsonl', 'csv', 'xlsx', 'xml', 'html', 'rss'] as const;
    const results = await Promise.all(formats.map((format) => runCli(['export', 'shop', '--format', format, '--output', `out/shop.${format}`], { cwd })));
    for (const [index, result] of results.entries()) {
      expect(result.stderr, formats[index]).toBe(`Exported 3 items of dataset "shop" to out/shop.${formats[index]}\n`);
      expect(result.status).toBe(0);
    }
    const file = (format: string): Buffer => readFileSync(join(cwd, 'out', `shop.${format}`));
    expect(JSON.parse(file('json').toString())).toEqual(items);
    expect(file('jsonl').toString().trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual(items);
    const header = ['id', 'title', 'tags/0', 'tags/1', 'seller/name', 'offers/0/p', 'offers/1/p', '#debug', 'note', 'offers/p', 'seller/rating'];
    const cells = [
      ['1', 'Ann & <Co>', 'a', 'b', 'x', '1', '2', '1', '', '', ''],
      ['2', "'=cmd|' /C calc'!A0", '', '', '', '', '', '', 'two\nlines, "quoted"', '3', ''],
      ['3', 'plain', '', '', 'z', '', '', '', '', '', '5'],
    ];
    expect(readCsv(file('csv'))).toEqual([header, ...cells]);
    const [sheet] = await readXlsx(file('xlsx'));
    expect(sheet!.formulas).toBe(0);
    expect(sheet!.rows.map((row) => row.map((value) => (value === null ? '' : String(value))))).toEqual([header, ...cells]);
    const html = readHtmlTable(file('html'));
    expect([html.headers, ...html.rows]).toEqual([header, ...cells]);
    expect(readXml(file('xml'), ['item', 'tags', 'offers'])).toMatchObject({ items: { item: [{ id: '1', title: 'Ann & <Co>', tags: ['a', 'b'], _debug: '1' }, { id: '2' }, { id: '3' }] } });
    expect(readXml(file('rss'), ['item'])).toMatchObject({ rss: { channel: { item: [{ id: '1' }, { id: '2' }, { id: '3' }] } } });
  });

  it('takes the options of the API on the command line', async () => {
    const [csv, xml, json] = await Promise.all([
      runCli(['export', 'shop', '--format', 'csv', '--fields', 'id,title', '--delimiter', ';', '--bom', '--skip-header-row', '--no-escape-formulas'], { cwd }),
      runCli(['export', 'shop', '--format', 'xml', '--fields', 'id,offers', '--unwind', 'offers', '--xml-root', 'products', '--xml-row', 'product', '--limit', '2'], { cwd }),
      runCli(['export', 'shop', '--format', 'json', '--clean', '--desc', '--offset', '1', '--fields', 'id,seller', '--flatten', 'seller'], { cwd }),
    ]);
    expect(csv.status).toBe(0);
    expect(csv.stdout).toBe('\uFEFF1;Ann & <Co>\r\n2;=cmd|\' /C calc\'!A0\r\n3;plain\r\n');
    expect(readXml(xml.stdout, ['product'])).toEqual({ products: { product: [{ id: '1', p: '1' }, { id: '1', p: '2' }, { id: '2', p: '3' }] } });
    expect(JSON.parse(json.stdout)).toEqual([{ id: 2 }, { id: 1, 'seller.name': 'x' }]);
    const bad = await runCli(['export', 'shop', '--format', 'xml', '--xml-root', '1x'], { cwd });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^x-actor: xmlRoot must be an XML element name/);
  });
});

describe('progress bar', () => {
  it('only on a terminal and above 1000 items; redraws in place and ends its line', () => {
    expect(wantsProgressBar({ isTTY: true, write: () => true }, 1001)).toBe(true);
    expect(wantsProgressBar({ isTTY: true, write: () => true }, 1000)).toBe(false);
    expect(wantsProgressBar({ isTTY: false, write: () => true }, 5000)).toBe(false);
    let text = '';
    const bar = new ProgressBar({ isTTY: true, write: (chunk: string) => (text += chunk) }, 2000, 'Exporting');
    bar.tick(1000);
    bar.finish();
    expect(text).toBe(`\rExporting [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 1000/2000\rExporting [${'#'.repeat(30)}] 100% 2000/2000\n`);
  });
});


