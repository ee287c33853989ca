import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy in front of an etcd whose connections a test can cut. */
export interface SeverableProxy {
  /** The client URL to connect through; e.g. `http://127.0.0.1:40124`. */
  readonly endpoint: string;
  /**
   * Cuts every connection and refuses new ones, as if the client's process had died
   * or its network had gone: etcd stops hearing from it, and it cannot reach etcd.
   */
  sever(): void;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` (an etcd client URL like `http://127.0.0.1:2379`) on a free
 * loopback port. Closing a grpc-js client does not end its streams (an etcd3 lease
 * keepalive goes on), so tests that need a client to vanish connect it through this.
 */
export async function startSeverableProxy(target: string): Promise<SeverableProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let severed = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (severed) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: hostname, port: Number(port) });
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    sever() {
      severed = true;
      cutAll();
    },
    async close() {
      severed = true;
      cutAll();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}
