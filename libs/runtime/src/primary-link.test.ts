import type { Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { createLogger, ServerMetrics } from '@message-bus/server-kit';
import { describe, expect, it } from 'vitest';
import { PrimaryLink } from './primary-link';

/** A worker's channel to its primary, connected or not, recording what it is sent. */
function channel(connected: boolean): Worker & { readonly sent: unknown[] } {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  return Object.assign(emitter, {
    sent,
    isConnected: () => connected,
    send: (message: unknown) => sent.push(message),
  }) as unknown as Worker & { readonly sent: unknown[] };
}

function link(worker: Worker, shutdowns: string[]): PrimaryLink {
  return new PrimaryLink({
    channel: worker,
    metrics: new ServerMetrics({ processMetrics: false }),
    logger: createLogger({ name: 'test', level: 'silent' }),
    onShutdown: (reason) => shutdowns.push(reason),
  });
}

describe('PrimaryLink', () => {
  it('shuts the worker down when the primary disconnects', async () => {
    const shutdowns: string[] = [];
    const worker = channel(true);
    link(worker, shutdowns);
    await Promise.resolve();
    expect(shutdowns).toEqual([]);
    worker.emit('disconnect');
    expect(shutdowns).toEqual(['primary process gone']);
  });

  it('shuts the worker down when the primary was gone before the link was made', async () => {
    const shutdowns: string[] = [];
    link(channel(false), shutdowns);
    await Promise.resolve();
    expect(shutdowns).toEqual(['primary process gone']);
  });
});
