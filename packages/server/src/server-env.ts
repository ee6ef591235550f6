import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Context } from 'hono';
import { nodeBody, readBody, type BodySource } from './http-utils.js';

/** The node request and response of a call, as `@hono/node-server` passes them (`c.env`). */
export interface NodeBindings {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
}

/**
 * The Hono environment of the server's app: on `@hono/node-server` its bindings are the node
 * request and response; through `app.request()` (or another adapter) there are none, and the app
 * works on the Web `Request` and `Response` alone.
 */
export interface ServerEnv {
  Bindings: Partial<NodeBindings>;
}

/** The node request and response of a call, when it came through `@hono/node-server`. */
export function nodeOf(c: Context<ServerEnv>): NodeBindings | undefined {
  const env = c.env as Partial<NodeBindings> | undefined;
  return env?.incoming !== undefined && env.outgoing !== undefined ? (env as NodeBindings) : undefined;
}

/** A request header (the node one, as node joined it, when there is one). */
export function headerOf(c: Context<ServerEnv>, name: 'authorization' | 'content-type' | 'host' | 'origin'): string | undefined {
  const node = nodeOf(c);
  return node ? node.incoming.headers[name] : c.req.header(name);
}

/** The request's body, read whole (decoded, within `limit` bytes: see {@link readBody}). */
export function requestBody(c: Context<ServerEnv>, limit: number): Promise<Buffer> {
  const node = nodeOf(c);
  if (node) return readBody(nodeBody(node.incoming), limit);
  const web = c.req.raw.body;
  const stream = web === null ? Readable.from([]) : Readable.fromWeb(web as NodeReadableStream<Uint8Array>);
  const source: BodySource = {
    stream,
    contentLength: c.req.header('content-length'),
    contentEncoding: c.req.header('content-encoding'),
    complete: () => stream.readableEnded,
  };
  return readBody(source, limit);
}
