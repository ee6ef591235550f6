import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataset } from '@x/core';
import { FileSystemStorageClient } from '@x/fs-client';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_USAGE, CliUsageError, parseCliArgs } from '../src/cli-args.js';
import { hasDesktop, newUiToken, openerOf, uiAddress } from '../src/cli-ui.js';
import { built, builtCliArgs, cleanEnv, removeTempDirs, runCli, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** The storage browser's page in the workspace's @x/server, there once the package is built. */
const SERVER_PAGE = fileURLToPath(new URL('../../server/dist/ui/index.html', import.meta.url));

async function waitFor(check: () => boolean): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 10_000) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The test's environment without a desktop, so that no browser is opened. */
function headlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { DISPLAY: _display, WAYLAND_DISPLAY: _wayland, ...env } = cleanEnv(extra);
  return env;
}

describe('x-actor ui arguments', () => {
  it('parses --storage-dir and --port, and refuses bad ones', () => {
    expect(parseCliArgs(['ui'])).toEqual({ command: 'ui', storageDir: undefined, port: 0 });
    expect(parseCliArgs(['ui', '--storage-dir', 'st', '--port', '8080'])).toEqual({ command: 'ui', storageDir: 'st', port: 8080 });
    expect(parseCliArgs(['ui', '--help'])).toEqual({ command: 'help', topic: 'ui' });
    expect(CLI_USAGE.ui).toContain('Usage: x-actor ui [--storage-dir DIR] [--port N]');
    expect(CLI_USAGE.main).toContain('ui [--storage-dir DIR] [--port N]');
    const bad = [['ui', 'extra'], ['ui', '--port'], ['ui', '--port', '-1'], ['ui', '--port', '65536'], ['ui', '--port', '80a'], ['ui', '--storage-dir', ' '], ['ui', '--token', 'x']];
    for (const args of bad) expect(() => parseCliArgs(args), args.join(' ')).toThrow(CliUsageError);
  });

  it('makes a new 32-character base64url token each time, carried in the fragment of the address only', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => newUiToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const address = new URL(uiAddress('http://127.0.0.1:5000', 'abc'));
    expect([address.search, address.hash, address.pathname]).toEqual(['', '#token=abc', '/']);
  });

  it('opens a browser only on a desktop, with the opener of the platform', () => {
    expect(hasDesktop('linux', {})).toBe(false);
    expect(hasDesktop('linux', { DISPLAY: ':0' })).toBe(true);
    expect(hasDesktop('freebsd', { WAYLAND_DISPLAY: 'wayland-0' })).toBe(true);
    expect(hasDesktop('darwin', {})).toBe(true);
    expect(hasDesktop('win32', {})).toBe(true);
    expect(openerOf('http://x/', 'linux')).toEqual({ command: 'xdg-open', args: ['http://x/'] });
    expect(openerOf('http://x/', 'darwin')).toEqual({ command: 'open', args: ['http://x/'] });
    expect(openerOf('http://x/', 'win32').args.at(-1)).toBe('http://x/');
  });
});

describe('x-actor ui, a real process', () => {
  it('serves the storage folder on 127.0.0.1 behind a fresh token, and SIGTERM ends it with exit code 0', async () => {
    const storageDir = tempDir();
    const seed = new FileSystemStorageClient({ storageDir });
    const dataset = await Dataset.open({ name: 'seen-by-ui', storageClient: seed });
    await dataset.pushData([{ a: 1 }]);
    await seed.close();

    built('server');
    const child = spawn(process.execPath, [...builtCliArgs(), 'ui', '--storage-dir', storageDir, '--port', '0'], { cwd: tempDir(), env: headlessEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const started = Date.now();
      let match: RegExpMatchArray | null = null;
      while (!(match = stdout.match(/http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]{32})\n/))) {
        if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`no address printed; stdout: ${stdout} stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [address, port, token] = match as unknown as [string, string, string];
      expect(new URL(address.trim()).search).toBe('');
      expect(Number(port)).toBeGreaterThan(0);
      expect(stdout).toContain(storageDir);
      const base = `http://127.0.0.1:${port}`;

      const anonymous = await fetch(`${base}/v2/datasets`);
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(`${base}/v2/datasets`, { headers: { authorization: `Bearer ${newUiToken()}` } });
      expect(wrong.status).toBe(401);
      const listed = await fetch(`${base}/v2/datasets`, { headers: { authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      const body = (await listed.json()) as { data: { items: { name?: string; itemCount: number }[] } };
      expect(body.data.items.map((d) => [d.name, d.itemCount])).toContainEqual(['seen-by-ui', 1]);

      // The page: served without the token when @x/server is built; otherwise the command says so.
      const page = await fetch(`${base}/`);
      if (existsSync(SERVER_PAGE)) {
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(stdout).not.toContain('not built');
      } else {
        expect(page.status).toBe(404);
        await waitFor(() => stdout.includes('not built'));
      }

      // A second session gets another token.
      expect(token).not.toBe(newUiToken());
      child.kill('SIGTERM');
      const { code } = await exited;
      expect(code, stderr).toBe(0);
      expect(stderr).toBe('');
      // The port is free again.
      await expect(fetch(`${base}/v2/datasets`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 40_000);

  it('a storage folder that is a file is a usage error (exit 2); a port in use fails with exit 1 and one line', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    built('server');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as { port: number };
      // Two processes at once: they share nothing.
      const [notFolder, taken] = await Promise.all([
        runCli(['ui', '--storage-dir', file], { cwd: dir, env: headlessEnv() }),
        runCli(['ui', '--storage-dir', join(dir, 'st'), '--port', String(port)], { cwd: dir, env: headlessEnv() }),
      ]);
      expect(notFolder.status).toBe(2);
      expect(notFolder.stderr).toBe(`x-actor: ui: the storage folder ${file} is not a folder\n`);
      expect(taken.status).toBe(1);
      expect(taken.stderr.trim().split('\n')).toHaveLength(1);
      expect(taken.stderr).toMatch(/^x-actor: .*(EADDRINUSE|in use)/);
    } finally {
      blocker.close();
    }
  }, 40_000);
});
