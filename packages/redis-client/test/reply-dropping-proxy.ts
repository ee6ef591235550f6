import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a Redis server that can lose one reply: after
 * {@link ReplyDroppingProxy.dropNextReply}, the next bytes Redis sends back are thrown away and
 * both connections are closed, so the command ran in Redis but its caller never hears of it (a
 * connection lost at the worst moment). New connections are forwarded as usual.
 */
export class ReplyDroppingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #dropNext = false;
  /** Replies thrown away so far. */
  dropped = 0;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: number): Promise<ReplyDroppingProxy> {
    let proxy: ReplyDroppingProxy | undefined;
    const server = createServer((downstream) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      for (const socket of [downstream, upstream]) {
        proxy!.#sockets.add(socket);
        socket.on('close', () => proxy!.#sockets.delete(socket));
        socket.on('error', () => {});
      }
      downstream.on('data', (data) => upstream.write(data));
      upstream.on('data', (data) => {
        if (proxy!.#dropNext) {
          proxy!.#dropNext = false;
          proxy!.dropped++;
          downstream.destroy();
          upstream.destroy();
          return;
        }
        downstream.write(data);
      });
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    proxy = new ReplyDroppingProxy(server, address.port);
    return proxy;
  }

  /** Loses the next reply and drops the connection it was on. */
  dropNextReply(): void {
    this.#dropNext = true;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
