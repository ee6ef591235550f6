import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault = 'pass' | '429' | '500' | 'drop';

/** What the proxy saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyBytes: number;
  readonly fault: Fault;
}

/** A loopback HTTP proxy in front of a server that injects faults before forwarding. */
export interface FaultProxy {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards to `target`, except that `decide(n)` (n counts the
 * requests from 1) can answer 429 or 500 itself, or drop the connection, without forwarding.
 */
export async function startFaultProxy(target: string, decide: (n: number, method: string, path: string) => Fault): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const seen: SeenRequest[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = decide(++count, method, path);
      seen.push({ method, path, headers: req.headers, bodyBytes: body.length, fault });
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault === '429' || fault === '500') {
        const payload = JSON.stringify({ error: { type: fault === '429' ? 'rate-limit-exceeded' : 'internal-error', message: 'injected' } });
        res.writeHead(Number(fault), { 'content-type': 'application/json' });
        res.end(payload);
        return;
      }
      const upstream = httpRequest(
        { host: targetUrl.hostname, port: targetUrl.port, method, path, headers: { ...req.headers, host: targetUrl.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
