import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../cleanup';
import { startSeverableProxy } from './severable-proxy';

/** A TCP server that echoes what it receives, standing in for etcd. */
async function startEchoServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** Connects to `url`, sends an HTTP/1 request head naming `from`, and resolves with the socket once the echo came back. */
function connectAs(url: string, from: string): Promise<Socket> {
  const { port } = new URL(url);
  const head = `GET /raft/stream HTTP/1.1\r\nHost: x\r\nX-Server-From: ${from}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) }, () => socket.write(head));
    let echoed = '';
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.toString('latin1');
      if (echoed === head) resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`the proxy closed the connection from ${from}`)));
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

describe('severable proxy', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('cuts and refuses one source, named by its request head, until healed', async () => {
    const echo = await startEchoServer();
    cleanup.defer('close the echo server', () => new Promise((done) => echo.server.close(done)));
    const proxy = cleanup.add(
      'close the proxy',
      await startSeverableProxy(echo.url, {
        sourceOf: (head) => /^x-server-from:\s*(\S+)/im.exec(head)?.[1],
      }),
      (proxy) => proxy.close(),
    );
    const fromA = cleanup.add('close a', await connectAs(proxy.endpoint, 'a'), (socket) => socket.destroy());
    const fromB = cleanup.add('close b', await connectAs(proxy.endpoint, 'b'), (socket) => socket.destroy());

    const aClosed = closed(fromA);
    proxy.sever('a');
    await aClosed;
    expect(fromB.destroyed).toBe(false);
    await expect(connectAs(proxy.endpoint, 'a')).rejects.toThrow('closed the connection from a');
    cleanup.add('close b again', await connectAs(proxy.endpoint, 'b'), (socket) => socket.destroy());

    proxy.heal('a');
    cleanup.add('close a again', await connectAs(proxy.endpoint, 'a'), (socket) => socket.destroy());
  });

  it('sever() cuts every connection until heal()', async () => {
    const echo = await startEchoServer();
    cleanup.defer('close the echo server', () => new Promise((done) => echo.server.close(done)));
    const proxy = cleanup.add('close the proxy', await startSeverableProxy(echo.url), (proxy) =>
      proxy.close(),
    );
    const socket = cleanup.add('close a', await connectAs(proxy.endpoint, 'a'), (socket) => socket.destroy());

    const socketClosed = closed(socket);
    proxy.sever();
    await socketClosed;
    await expect(connectAs(proxy.endpoint, 'b')).rejects.toThrow('closed the connection from b');

    proxy.heal();
    cleanup.add('close b', await connectAs(proxy.endpoint, 'b'), (socket) => socket.destroy());
  });
});
