import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

/** A Redis the benchmark measures on: its own `redis-server` when installed, else `REDIS_URL`. */
export interface BenchRedis {
  readonly url: string;
  /** True when the server is the benchmark's own: then `INFO` figures are the benchmark's alone. */
  readonly own: boolean;
  /** A raw command (INFO, MEMORY USAGE, SCAN) on the server. */
  command(args: string[]): Promise<unknown>;
  /** `INFO <section>` as field → value. */
  info(section: string): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a `redis-server` of the benchmark's own on a free loopback port (nothing kept on disk),
 * so that `INFO memory` and `INFO commandstats` see only the benchmark; without the binary, uses
 * `REDIS_URL` (else 127.0.0.1:6379), where other programs may add to those figures.
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const hasBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let url = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
  if (hasBinary) {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'x-bench-redis-'));
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const running = child;
    process.once('exit', () => running.kill('SIGKILL'));
    url = `redis://127.0.0.1:${port}`;
  }
  const client = createClient({ url, socket: { reconnectStrategy: (retries: number) => (retries > 50 ? false : 100) } });
  client.on('error', () => {});
  await client.connect();
  const command = (args: string[]): Promise<unknown> => client.sendCommand(args);
  return {
    url,
    own: child !== undefined,
    command,
    async info(section) {
      const fields = new Map<string, string>();
      for (const line of String(await command(['INFO', section])).split('\r\n')) {
        const at = line.indexOf(':');
        if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
      }
      return fields;
    },
    async stop() {
      client.destroy();
      if (child) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
