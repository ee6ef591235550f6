import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Node arguments that start the command from the build, as an installed package runs it (a start
 * through tsx would compile the sources each time); the test command builds every package first.
 */
function nodeArgs(): string[] {
  const cli = join(packageDir, 'dist', 'cli.js');
  for (const file of [cli, join(packageDir, '..', 'core', 'dist', 'index.js'), join(packageDir, '..', 'memory-client', 'dist', 'index.js')]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: this test runs the built packages; build them first with npx -y pnpm@10 build (the test command, npx -y pnpm@10 test, builds before it tests)`);
  }
  return [cli];
}

/** Runs the command to its end, without blocking, so several can run at once. */
function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs(), ...args], { cwd: packageDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('x-storage-server command line', () => {
  it('parses the options', () => {
    const defaults = {
      port: 8787,
      host: '127.0.0.1',
      storageDir: undefined,
      token: undefined,
      allowUnauthenticatedRemoteAccess: false,
      headersTimeoutMs: undefined,
      requestTimeoutMs: undefined,
      keepAliveTimeoutMs: undefined,
      maxConnections: undefined,
      help: false,
      version: false,
    };
    expect(parseCliArgs([], {})).toEqual(defaults);
    expect(parseCliArgs(['--port', '0', '--host', '::1', '--storage-dir', '/tmp/s', '--token', 't'], {})).toEqual({
      ...defaults,
      port: 0,
      host: '::1',
      storageDir: '/tmp/s',
      token: 't',
    });
    expect(
      parseCliArgs(['--host', '0.0.0.0', '--unsafe-no-token-remote', '--headers-timeout-ms', '5000', '--request-timeout-ms', '30000', '--keep-alive-timeout-ms', '1000', '--max-connections', '64'], {}),
    ).toEqual({ ...defaults, host: '0.0.0.0', allowUnauthenticatedRemoteAccess: true, headersTimeoutMs: 5000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 1000, maxConnections: 64 });
    expect(parseCliArgs(['--memory'], { X_STORAGE_SERVER_TOKEN: 'env' }).token).toBe('env');
    expect(parseCliArgs(['--token', 'flag'], { X_STORAGE_SERVER_TOKEN: 'env' }).token).toBe('flag');
    for (const bad of [
      ['--port', 'x'],
      ['--port', '70000'],
      ['--memory', '--storage-dir', 'd'],
      ['--nope'],
      ['extra'],
      ['--token', ''],
      ['--token', '  '],
      ['--max-connections', '0'],
      ['--request-timeout-ms', 'soon'],
    ]) {
      expect(() => parseCliArgs(bad, {})).toThrow(CliUsageError);
    }
    // An empty token from the environment is an error, not a server without a token.
    expect(() => parseCliArgs([], { X_STORAGE_SERVER_TOKEN: '' })).toThrow(/X_STORAGE_SERVER_TOKEN/);
  });

  it('refuses a non-loopback --host without a token (exit 2), and an empty token from the environment', async () => {
    const [remote, emptyEnv] = await Promise.all([runCli(['--host', '0.0.0.0', '--port', '0']), runCli(['--port', '0'], { ...process.env, X_STORAGE_SERVER_TOKEN: '' })]);
    expect(remote.status).toBe(2);
    expect(remote.stderr).toContain('--unsafe-no-token-remote');
    expect(emptyEnv.status).toBe(2);
    expect(emptyEnv.stderr).toContain('X_STORAGE_SERVER_TOKEN');
  });

  it('bad arguments: one line on stderr and exit code 2; --help prints usage', async () => {
    const [bad, unknown, help] = await Promise.all([runCli(['--port', 'abc']), runCli(['--bogus']), runCli(['--help'])]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--port');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: x-storage-server');
  });

  it('serves in memory on a free loopback port and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...nodeArgs(), '--port', '0', '--memory', '--token', 'cli-token'], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v2/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', () => reject(new Error(`exited: ${out}`)));
      });
      expect((await fetch(`${url}/v2/datasets`)).status).toBe(401);
      const ok = await fetch(`${url}/v2/datasets?name=cli`, { method: 'POST', headers: { authorization: 'Bearer cli-token' } });
      expect(ok.status).toBe(201);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
