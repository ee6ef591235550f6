import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const nodeArgs = ['--conditions=@x/source', '--import', 'tsx', 'src/cli.ts'];

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...nodeArgs, ...args], { cwd: packageDir, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('x-storage-server command line', () => {
  it('parses the options', () => {
    expect(parseCliArgs([], {})).toEqual({ port: 8787, host: '127.0.0.1', storageDir: undefined, token: undefined, help: false, version: false });
    expect(parseCliArgs(['--port', '0', '--host', '::1', '--storage-dir', '/tmp/s', '--token', 't'], {})).toEqual({
      port: 0,
      host: '::1',
      storageDir: '/tmp/s',
      token: 't',
      help: false,
      version: false,
    });
    expect(parseCliArgs(['--memory'], { X_STORAGE_SERVER_TOKEN: 'env' }).token).toBe('env');
    for (const bad of [['--port', 'x'], ['--port', '70000'], ['--memory', '--storage-dir', 'd'], ['--nope'], ['extra'], ['--token', '']]) {
      expect(() => parseCliArgs(bad, {})).toThrow(CliUsageError);
    }
  });

  it('bad arguments: one line on stderr and exit code 2; --help prints usage', () => {
    const bad = runCli(['--port', 'abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--port');
    const unknown = runCli(['--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: x-storage-server');
  });

  it('serves in memory on a free loopback port and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...nodeArgs, '--port', '0', '--memory', '--token', 'cli-token'], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
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
