import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy in front of an etcd whose connections a test can cut. */
export interface SeverableProxy {
  /** The client URL to connect through; e.g. `http://127.0.0.1:40124`. */
  readonly endpoint: string;
  /**
   * Cuts every connection and refuses new ones, as if the client's process had died
   * or its network had gone: etcd stops hearing from it, and it cannot reach etcd.
   * With `source`, only the connections `sourceOf` named so.
   */
  sever(source?: string): void;
  /** Accepts connections again (from `source`, or from everyone); those cut stay cut. */
  heal(source?: string): void;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

export interface SeverableProxyOptions {
  /**
   * Names who opened a connection from the head of its first HTTP/1 request (the
   * request line and headers), so `sever(source)` can cut that peer alone; e.g. etcd's
   * peer requests carry `X-Server-From: <member id>`. With it, the proxy holds each
   * connection's first bytes until their head is complete (or 16 KiB, when it is not HTTP).
   */
  readonly sourceOf?: (requestHead: string) => string | undefined;
}

const maxRequestHeadBytes = 16 * 1024;

/**
 * Starts a proxy to `target` (an etcd client URL like `http://127.0.0.1:2379`) on a free
 * loopback port. Closing a grpc-js client does not end its streams (an etcd3 lease
 * keepalive goes on), so tests that need a client to vanish connect it through this.
 */
export async function startSeverableProxy(
  target: string,
  options: SeverableProxyOptions = {},
): Promise<SeverableProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  /** The source of each proxied connection, once known; both of its sockets point to it. */
  const sourceOfSocket = new Map<Socket, string>();
  const severedSources = new Set<string>();
  let severed = false;
  let closed = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      sourceOfSocket.delete(socket);
    });
    socket.on('error', () => socket.destroy());
  };
  const connect = (client: Socket, head: Buffer, source: string | undefined) => {
    if (severed || closed || (source !== undefined && severedSources.has(source))) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: hostname, port: Number(port) });
    track(upstream);
    if (source !== undefined) {
      sourceOfSocket.set(client, source);
      sourceOfSocket.set(upstream, source);
    }
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };
  const server = createServer((client) => {
    track(client);
    const sourceOf = options.sourceOf;
    if (sourceOf === undefined) {
      connect(client, Buffer.alloc(0), undefined);
      return;
    }
    // Hold the first bytes until the request head is complete, then decide who sent it.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0 && head.length < maxRequestHeadBytes) return;
      client.off('data', onData);
      client.pause();
      connect(client, head, sourceOf(head.subarray(0, end < 0 ? head.length : end).toString('latin1')));
    };
    client.on('data', onData);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    sever(source?: string) {
      if (source === undefined) severed = true;
      else severedSources.add(source);
      for (const socket of sockets) {
        if (source === undefined || sourceOfSocket.get(socket) === source) socket.destroy();
      }
    },
    heal(source?: string) {
      if (source === undefined) {
        severed = false;
        severedSources.clear();
      } else {
        severedSources.delete(source);
      }
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
