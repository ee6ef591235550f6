import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster } from '@redis/client';
import { afterAll } from 'vitest';

/** The Redis the tests use: `REDIS_URL`, else the service on 127.0.0.1:6379. */
export const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** True in CI, where every Redis suite must run. */
export const IN_CI = Boolean(process.env['CI']);

/** True when `redis-server` and `redis-cli` can be run. */
export const HAS_REDIS_BINARIES = ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0);

/** Answers PING within 2 s? */
export async function pingRedis(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    return String(await client.sendCommand(['PING'], { timeout: 2_000 })) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/**
 * Whether the suite `name` can run on the shared Redis. Without one it is skipped with one line,
 * except under `CI`, where it fails.
 */
export async function sharedRedisAvailable(name: string): Promise<boolean> {
  if (await pingRedis(REDIS_URL)) return true;
  if (IN_CI) throw new Error(`${name}: no Redis answers at ${REDIS_URL}, and CI is set: the Redis suites must run (start redis-server or set REDIS_URL)`);
  process.stderr.write(`[${name}] skipped: no Redis answers at ${REDIS_URL} (start redis-server or set REDIS_URL)\n`);
  return false;
}

/**
 * Whether the suite `name` can start Redis servers of its own. Without the binaries it is skipped
 * with one line, except under `CI`, where it fails.
 */
export function redisBinariesAvailable(name: string): boolean {
  if (HAS_REDIS_BINARIES) return true;
  if (IN_CI) throw new Error(`${name}: redis-server and redis-cli are not installed, and CI is set: the Redis suites must run`);
  process.stderr.write(`[${name}] skipped: redis-server is not installed\n`);
  return false;
}

/** A key prefix no other test uses. */
export function uniquePrefix(label = 'test'): string {
  return `xt-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Every key of a prefix on one node (`{prefix}:…` registry keys and `{prefix:…}:…` storage keys). */
async function keysOn(client: { sendCommand(args: string[]): Promise<unknown> }, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of [`{${prefix}}:*`, `{${prefix}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/** The part of a connected node-redis client the helpers use. */
interface HelperClient {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  destroy(): void;
}

/**
 * One node-redis client per URL for the helpers below, made on first use. A fresh client per call
 * would cost a connection, and node-redis caches the class of its command methods for one set of
 * options only: a helper client with options of its own between two storage clients made it
 * rebuild that class every time. No reconnection is tried: a client that failed (its server was
 * killed) is dropped and made again next time. They are closed when the test file ends.
 */
const helperClients = new Map<string, Promise<HelperClient>>();

function helperClient(url: string): Promise<HelperClient> {
  const known = helperClients.get(url);
  if (known) return known;
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  const connected: Promise<HelperClient> = client.connect().then(() => client);
  const drop = (): void => {
    if (helperClients.get(url) === connected) helperClients.delete(url);
  };
  client.on('error', drop);
  client.on('end', drop);
  connected.catch(drop);
  helperClients.set(url, connected);
  return connected;
}

/** Runs `use` with the helper client of `url`, made again when the one kept is no longer ready. */
async function withHelperClient<T>(url: string, use: (client: HelperClient) => Promise<T>): Promise<T> {
  const kept = helperClient(url);
  let client = await kept;
  if (!client.isReady) {
    if (helperClients.get(url) === kept) helperClients.delete(url);
    client.destroy();
    client = await helperClient(url);
  }
  return use(client);
}

// The helper clients of a test file end with it.
afterAll(async () => {
  const kept = [...helperClients.values()];
  helperClients.clear();
  for (const client of await Promise.allSettled(kept)) if (client.status === 'fulfilled') client.value.destroy();
});

/** Every key of `prefix` on a single Redis or on every master of a cluster (`nodeUrls`). */
export async function keysOfPrefix(prefix: string, nodeUrls: readonly string[] = [REDIS_URL]): Promise<string[]> {
  const found: string[] = [];
  for (const url of nodeUrls) found.push(...(await withHelperClient(url, (client) => keysOn(client, prefix))));
  return found.sort();
}

/** Deletes every key of `prefix` (a test's own keys), on a single Redis or every node of a cluster. */
export async function deleteKeysOfPrefix(prefix: string, nodeUrls: readonly string[] = [REDIS_URL]): Promise<void> {
  for (const url of nodeUrls) {
    await withHelperClient(url, async (client) => {
      // One UNLINK per hash tag: the keys of one tag share a cluster slot, those of two may not.
      const byTag = new Map<string, string[]>();
      for (const key of await keysOn(client, prefix)) {
        const tag = key.slice(0, key.indexOf('}') + 1);
        const keys = byTag.get(tag);
        if (keys) keys.push(key);
        else byTag.set(tag, [key]);
      }
      await Promise.all([...byTag.values()].map((keys) => client.sendCommand(['UNLINK', ...keys])));
    });
  }
}

/** A free TCP port on loopback (asked from the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A `redis-server` of a test's own, on a free loopback port, keeping nothing on disk. */
export class RedisServer {
  readonly dir: string;
  #process: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'x-redis-test-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Starts a server and waits until it answers. */
  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs);
    await server.restart();
    return server;
  }

  /** Starts the server again (after {@link kill}) on the same port, empty. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      { stdio: 'ignore' },
    );
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let failed = false;
    void this.#exited.then(() => (failed = this.#process === child));
    await waitFor(async () => {
      if (failed) throw new Error(`redis-server on port ${this.port} exited at start`);
      return pingRedis(this.url);
    }, `redis-server on port ${this.port}`);
  }

  /** Kills the server with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#process = undefined;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Sends a signal to the running server (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    this.#process?.kill(signal);
  }

  /** Kills the server and removes its folder. */
  async stop(): Promise<void> {
    this.#process?.kill('SIGCONT');
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of three masters started from the `redis-server` binary, on free loopback ports. */
export class RedisTestCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  /** One node's URL: the client finds the others. */
  get url(): string {
    return this.nodes[0]!.url;
  }

  get nodeUrls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  static async start(): Promise<RedisTestCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        // The bus port explicitly: the default, port + 10000, may be above 65535 for a port the kernel gave.
        const busPort = await freePort();
        nodes.push(
          await RedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--cluster-port', String(busPort)]),
        );
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const cluster = new RedisTestCluster(nodes);
      await waitFor(() => cluster.#ready(), 'the cluster to be ready', 30_000);
      return cluster;
    } catch (error) {
      for (const node of nodes) await node.stop();
      throw error;
    }
  }

  /** Every node says the cluster is ok, and a cluster client reaches all its slots. */
  async #ready(): Promise<boolean> {
    for (const node of this.nodes) {
      const info = spawnSync('redis-cli', ['-p', String(node.port), 'CLUSTER', 'INFO'], { encoding: 'utf8' });
      if (!info.stdout.includes('cluster_state:ok')) return false;
    }
    const client = createCluster({ rootNodes: [{ url: this.url }] });
    client.on('error', () => {});
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }
}
