import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { built, cleanEnv, removeTempDirs, runAsync, tempDir } from './helpers.js';

afterAll(removeTempDirs);

// The programs run on the builds of the packages with plain node (a start through tsx would
// compile the sources each time); @x/actor loads the build of @x/cloud-client.
const builtUrl = (pkg: string): string => pathToFileURL(built(pkg)).href;

/**
 * Runs a small Actor program in its own process and gives back what it reported: how the cloud
 * storage failed and how long that took.
 */
async function runProgram(body: string, env: Record<string, string>): Promise<{ code?: string; message?: string; seconds: number }> {
  built('cloud-client');
  const dir = tempDir('x-actor-fail-fast-');
  const file = join(dir, 'main.mjs');
  writeFileSync(
    file,
    `import { Actor } from '${builtUrl('actor')}';
import { MemoryStorageClient } from '${builtUrl('memory-client')}';
const started = Date.now();
const out = {};
try { ${body} } catch (e) { out.code = e.code; out.message = e.message; }
out.seconds = (Date.now() - started) / 1000;
if (Actor.isInitialized()) await Actor.exit();
console.log(JSON.stringify(out));
`,
  );
  const result = await runAsync(process.execPath, [file], { cwd: dir, env: cleanEnv({ ...env, APIFY_LOG_LEVEL: 'off' }) });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { code?: string; message?: string; seconds: number };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// At once: the wait for the unreachable server's deadline overlaps the other programs.
describe.concurrent('cloud storage without its configuration fails at once', () => {
  it('forceCloud without APIFY_TOKEN: a typed error naming APIFY_TOKEN, before any call is made', async ({ expect }) => {
    const out = await runProgram(
      `await Actor.init({ storageClient: new MemoryStorageClient() });
await Actor.pushData({ local: 'still works' });
await Actor.openDataset('results', { forceCloud: true });`,
      {},
    );
    expect(out.code).toBe('invalid-argument');
    expect(out.message).toContain('APIFY_TOKEN');
    expect(out.message).toContain('forceCloud');
    expect(out.seconds).toBeLessThan(5);
  });

  it('APIFY_IS_AT_HOME without APIFY_TOKEN: Actor.init fails the same way', async ({ expect }) => {
    const out = await runProgram('await Actor.init();', { APIFY_IS_AT_HOME: '1' });
    expect(out.code).toBe('invalid-argument');
    expect(out.message).toContain('APIFY_TOKEN');
    expect(out.seconds).toBeLessThan(5);
  });

  it('an unreachable APIFY_API_BASE_URL fails within about 10 s, naming the URL', async ({ expect }) => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}`;
    const out = await runProgram(
      `await Actor.init({ storageClient: new MemoryStorageClient() });
await Actor.openKeyValueStore('remote', { forceCloud: true });`,
      { APIFY_TOKEN: 'some-token', APIFY_API_BASE_URL: baseUrl },
    );
    expect(out.code).toBe('io');
    expect(out.message).toContain(baseUrl);
    expect(out.message).not.toContain('some-token');
    // 10 s of retries at most, and a generous margin for a busy machine (it used to take a minute).
    expect(out.seconds).toBeLessThan(20);
  });

  it('a server of your own without a token is fine: the check is for the Apify platform', async ({ expect }) => {
    const out = await runProgram(
      `const { startServer } = await import('${builtUrl('server')}');
const server = await startServer({ storageClient: new MemoryStorageClient() });
process.env.APIFY_API_BASE_URL = server.url;
try {
  await Actor.init({ storageClient: new MemoryStorageClient(), apiBaseUrl: server.url });
  const dataset = await Actor.openDataset('open-server', { forceCloud: true });
  await dataset.pushData({ ok: true });
  out.items = (await dataset.getData()).items.length;
  await Actor.exit();
} finally { await server.close(); }`,
      {},
    );
    expect(out).toMatchObject({ items: 1 });
    expect(out.code).toBeUndefined();
  });
});
