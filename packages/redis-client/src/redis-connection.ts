import { ErrorReply, RESP_TYPES, RedisClient, RedisCluster, TimeoutError, type RedisArgument, type RedisClusterOptions } from '@redis/client';
import { StorageError, type StorageErrorCode } from '@x/core';
import type { LuaScript } from './lua-scripts.js';

/** What {@link RedisConnection} needs to know. */
export interface RedisConnectionOptions {
  readonly url: string;
  /** Treat `url` as one node of a Redis Cluster; the others are discovered. */
  readonly cluster: boolean;
  /** How long one operation may take, retries included, before it fails with `io`. */
  readonly timeoutMs: number;
}

/** How one operation is sent. */
export interface SendOptions {
  /**
   * Send again when the connection dropped before the reply came. Only for operations that do the
   * same when done twice (a reply lost after the write happened must not write twice).
   */
  readonly retry: boolean;
  /** Give bulk strings as Buffers (binary record bodies) instead of strings. */
  readonly buffers?: boolean;
  /** The arguments of a script to send instead when sending again (to tell the script it may have run). */
  readonly retryArgs?: readonly RedisArgument[];
}

/** The errors our scripts raise, by the first word of their message. */
const SCRIPT_ERRORS: Readonly<Record<string, StorageErrorCode>> = {
  NOTFOUND: 'not-found',
  LOCKED: 'locked',
  CONFLICT: 'conflict',
  ARGUMENT: 'invalid-argument',
};

/** Error replies of Redis itself that mean the storage medium cannot serve us now. */
const IO_REPLIES = new Set(['OOM', 'LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'CLUSTERDOWN', 'TRYAGAIN', 'NOREPLICAS', 'MISCONF']);

const BUFFER_REPLIES = { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer } as const;

/**
 * node-redis builds a class with a method per Redis command (some 500) for each configuration, and
 * keeps only the last one, keyed by the JSON of the options: `createClient` rebuilds it (tens of ms,
 * much garbage) whenever the process made a node-redis client with other options in between (a
 * client of another URL, the node clients of a cluster, the application's own). The factories of
 * node-redis take the class's configuration apart from the client's options: made once, on first
 * use, they serve every connection of the process. Ours has no modules, functions or scripts, and
 * the protocol (RESP) of each client comes from its options, so the class is the one
 * `createClient` would build.
 */
let clientFactory: ReturnType<typeof RedisClient.factory> | undefined;
let clusterFactory: ReturnType<typeof RedisCluster.factory> | undefined;

/** The part of a node-redis client or cluster this connection uses. */
interface RawClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

type Sender = (firstKey: string, args: readonly RedisArgument[], options: { timeout: number | undefined; buffers: boolean }) => Promise<unknown>;

function commandOptions(timeout: number | undefined, buffers: boolean): { timeout?: number; typeMapping?: typeof BUFFER_REPLIES } | undefined {
  if (timeout === undefined) return buffers ? { typeMapping: BUFFER_REPLIES } : undefined;
  return buffers ? { timeout, typeMapping: BUFFER_REPLIES } : { timeout };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Turns an error reply of a script or of Redis into a StorageError. */
function replyError(error: ErrorReply, what: string): StorageError {
  // A script's error({ err = … }) comes back with " script: <sha>, on @user_script:…" appended.
  const message = error.message.replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.?$/, '');
  const word = message.split(' ', 1)[0] ?? '';
  const code = SCRIPT_ERRORS[word];
  if (code !== undefined) return new StorageError(code, `${what}: ${message.slice(word.length + 1)}`);
  if (IO_REPLIES.has(word)) return new StorageError('io', `${what}: Redis answered ${message}`, { cause: error });
  return new StorageError('internal', `${what}: Redis answered ${message}`, { cause: error });
}

/**
 * One Redis connection (a single node) or one cluster client (a connection per node) of
 * node-redis, with what the storages need on top: Lua scripts run with EVALSHA (loaded again
 * after a Redis restart emptied the script cache), a deadline per operation, and a retry of
 * operations that are safe to repeat when a connection drops. Every failure becomes a
 * {@link StorageError}: `io` when Redis cannot be reached in time.
 */
export class RedisConnection {
  readonly #client: RawClient;
  readonly #send: Sender;
  readonly #timeoutMs: number;
  readonly #cluster: boolean;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #commands = 0;

  constructor(options: RedisConnectionOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#cluster = options.cluster;
    // Reconnect for ever, backing off up to 2 s: the deadline of each operation bounds the wait. At
    // most half the timeout, though: a call waiting when Redis comes back must not time out while
    // the client sleeps until its next attempt (a 1.5 s timeout against a 2 s pause did).
    const maxPauseMs = Math.min(2_000, options.timeoutMs / 2);
    const socket = { connectTimeout: Math.min(options.timeoutMs, 5_000), reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxPauseMs) };
    // No default timeout of node-redis (5 s, an AbortSignal per command): the deadline of each
    // operation is ours (see #sendOnce).
    const defaultCommandOptions = { timeout: 0 };
    if (options.cluster) {
      // The cluster reads commandOptions from its options too (the factory's type leaves it out).
      const clusterOptions: RedisClusterOptions = { rootNodes: [{ url: options.url }], defaults: { socket }, commandOptions: defaultCommandOptions };
      clusterFactory ??= RedisCluster.factory();
      const cluster = clusterFactory(clusterOptions);
      this.#client = cluster;
      this.#send = (firstKey, args, { timeout, buffers }) => cluster.sendCommand(firstKey, false, [...args], commandOptions(timeout, buffers));
    } else {
      clientFactory ??= RedisClient.factory();
      const client = clientFactory({ url: options.url, socket, commandOptions: defaultCommandOptions });
      this.#client = client;
      this.#send = (_firstKey, args, { timeout, buffers }) => client.sendCommand(args, commandOptions(timeout, buffers));
    }
    // Connection errors reach the operations that were waiting; the event itself is only noise,
    // and an EventEmitter without an 'error' listener would crash the process.
    this.#client.on('error', () => {});
  }

  /** Commands sent to Redis so far (a script call is one; a reload after a restart or a retry adds to it). */
  get commandCount(): number {
    return this.#commands;
  }

  /** Runs a script of `src/commands` on `keys` (all of one storage, so of one Cluster slot). */
  async runScript(script: LuaScript, keys: readonly string[], args: readonly RedisArgument[], what: string, options: SendOptions): Promise<unknown> {
    if (keys.length !== script.numberOfKeys) throw new StorageError('internal', `Script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    const firstKey = keys[0]!;
    const deadline = Date.now() + this.#timeoutMs;
    const evalsha = ['EVALSHA', script.sha, String(keys.length), ...keys, ...args];
    const again = options.retryArgs && ['EVALSHA', script.sha, String(keys.length), ...keys, ...options.retryArgs];
    const sendOptions = again ? { ...options, again } : options;
    try {
      return await this.#sendUntil(deadline, firstKey, evalsha, what, sendOptions);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw this.#toStorageError(error, what);
    }
    // Redis restarted (or this node never saw the script): load it where the keys live, run it again.
    try {
      await this.#sendUntil(deadline, firstKey, ['SCRIPT', 'LOAD', script.source], what, { retry: true });
      return await this.#sendUntil(deadline, firstKey, evalsha, what, sendOptions);
    } catch (error) {
      throw this.#toStorageError(error, what);
    }
  }

  /** Sends one plain command about `firstKey` (which picks the Cluster node). */
  async command(firstKey: string, args: readonly RedisArgument[], what: string, options: SendOptions): Promise<unknown> {
    try {
      return await this.#sendUntil(Date.now() + this.#timeoutMs, firstKey, args, what, options);
    } catch (error) {
      throw this.#toStorageError(error, what);
    }
  }

  #toStorageError(error: unknown, what: string): StorageError {
    if (StorageError.is(error)) return error;
    if (error instanceof ErrorReply) return replyError(error, what);
    const reason = error instanceof Error ? error.message || error.name : String(error);
    return new StorageError('io', `${what}: Redis could not be reached (${reason})`, { cause: error });
  }

  /** Sends until a reply comes, retrying dropped connections when allowed, until `deadline`. */
  async #sendUntil(
    deadline: number,
    firstKey: string,
    args: readonly RedisArgument[],
    what: string,
    options: SendOptions & { readonly again?: readonly RedisArgument[] },
  ): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      if (this.#closing) throw new StorageError('io', `${what}: the Redis storage client is closed`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.#timedOut(what);
      try {
        await this.#whenConnecting(left, what);
        const sent = attempt > 1 && options.again ? options.again : args;
        return await this.#sendOnce(firstKey, sent, deadline - Date.now(), options.buffers ?? false, what);
      } catch (error) {
        if (error instanceof ErrorReply || StorageError.is(error)) throw error;
        // Not written before the deadline (Redis away): the command left the queue unsent.
        if (error instanceof TimeoutError) throw this.#timedOut(what, error);
        if (!options.retry) throw error;
        // The connection dropped with the command on it: once reconnected, send it again.
        await sleep(Math.min(25 * attempt, Math.max(0, deadline - Date.now())));
      }
    }
  }

  #timedOut(what: string, cause?: unknown): StorageError {
    return new StorageError('io', `${what}: no answer from Redis within ${this.#timeoutMs} ms`, cause === undefined ? undefined : { cause });
  }

  /** Starts connecting when not connected (the first use, or after a failed first connect). */
  async #whenConnecting(left: number, what: string): Promise<void> {
    if (!this.#client.isOpen && !this.#connecting) {
      const connecting = this.#client.connect().then(
        () => {},
        (error: unknown) => {
          if (this.#connecting === connecting) this.#connecting = undefined;
          throw error;
        },
      );
      this.#connecting = connecting;
      connecting.catch(() => {});
    }
    // A single client queues commands while it connects; a cluster must first learn its slots.
    if (this.#cluster && this.#connecting) await this.#withDeadline(this.#connecting, left, what);
  }

  async #sendOnce(firstKey: string, args: readonly RedisArgument[], left: number, buffers: boolean, what: string): Promise<unknown> {
    if (left <= 0) throw this.#timedOut(what);
    this.#commands++;
    // While connected, a command is written at once and the race bounds its wait. While not, it
    // waits in node-redis's offline queue, which drops it unsent at `timeout` (so that it is not
    // sent long after its caller gave up). The option costs an AbortSignal per command: only then.
    const timeout = this.#client.isReady ? undefined : left;
    return this.#withDeadline(this.#send(firstKey, args, { timeout, buffers }), left, what);
  }

  #withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#timedOut(what)), ms);
    });
    promise.catch(() => {});
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Ends the connections: waits for the replies still due (within the timeout), then closes. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#client.isOpen) return;
      try {
        await this.#withDeadline(this.#client.close(), this.#timeoutMs, 'close');
      } catch {
        this.#client.destroy();
      }
    })();
    return this.#closing;
  }
}
