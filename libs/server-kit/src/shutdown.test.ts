import { EventEmitter } from 'node:events';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { deferred, eventually, memoryLogger } from '../test/echo-service';
import { ShutdownCoordinator, type SignalTarget } from './shutdown';

/** A stand-in for `process`: emits signals on demand and records exits. */
class FakeProcess extends EventEmitter implements SignalTarget {
  readonly exits: number[] = [];

  exit(code?: number): void {
    this.exits.push(code ?? 0);
  }
}

describe('ShutdownCoordinator', () => {
  it('runs the steps once, in order, awaiting each', async () => {
    const { logger, lines } = memoryLogger();
    const order: string[] = [];
    const coordinator = new ShutdownCoordinator({ logger })
      .add('health not serving', () => {
        order.push('health');
      })
      .add('stop gRPC', async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        order.push('grpc');
      })
      .add('close store', () => {
        order.push('store');
      });

    const first = coordinator.run('test');
    const second = coordinator.run('again');
    expect(second).toBe(first);
    expect(await first).toEqual({ reason: 'test', failedSteps: [] });
    expect(order).toEqual(['health', 'grpc', 'store']);
    expect(lines().map((line) => line['msg'])).toEqual([
      'shutdown started',
      'shutdown step done',
      'shutdown step done',
      'shutdown step done',
      'shutdown complete',
    ]);
  });

  it('moves on past a step that throws or outlives its timeout, and reports both', async () => {
    const { logger, lines } = memoryLogger();
    const order: string[] = [];
    const report = await new ShutdownCoordinator({ logger, stepTimeoutMs: 5_000 })
      .add('flush writes', () => {
        throw new Error('disk full');
      })
      .add('drain', () => new Promise<void>(() => undefined), { timeoutMs: 20 })
      .add('close store', () => {
        order.push('store closed');
      })
      .run('SIGTERM');
    expect(report).toEqual({ reason: 'SIGTERM', failedSteps: ['flush writes', 'drain'] });
    expect(order).toEqual(['store closed']);
    const failures = lines().filter((line) => line['msg'] === 'shutdown step failed');
    expect(failures.map((line) => [line['step'], (line['err'] as { message: string }).message])).toEqual([
      ['flush writes', 'disk full'],
      ['drain', 'timed out after 20 ms'],
    ]);
  });

  it('refuses new steps once shutdown has started', async () => {
    const coordinator = new ShutdownCoordinator({ logger: memoryLogger().logger });
    await coordinator.run('test');
    expect(coordinator.started).toBe(true);
    expect(() => coordinator.add('late', () => undefined)).toThrow(
      'cannot add shutdown step late: shutdown already started',
    );
  });
});

describe('ShutdownCoordinator.onSignals', () => {
  it('accepts process itself', () => {
    expectTypeOf(process).toExtend<SignalTarget>();
  });

  it('runs the shutdown on the first signal, then exits 0', async () => {
    const target = new FakeProcess();
    const release = deferred();
    const coordinator = new ShutdownCoordinator({ logger: memoryLogger().logger }).add(
      'drain',
      () => release.promise,
    );
    coordinator.onSignals(target);

    target.emit('SIGTERM');
    expect(coordinator.started).toBe(true);
    expect(target.exits).toEqual([]);
    release.resolve();
    await eventually(() => target.exits.length > 0, 'the exit after shutdown');
    expect(target.exits).toEqual([0]);
  });

  it('exits 1 after a failed step', async () => {
    const target = new FakeProcess();
    new ShutdownCoordinator({ logger: memoryLogger().logger })
      .add('close store', () => Promise.reject(new Error('lmdb: busy')))
      .onSignals(target);
    target.emit('SIGINT');
    await eventually(() => target.exits.length > 0, 'the exit after shutdown');
    expect(target.exits).toEqual([1]);
  });

  it('exits 1 at once on a second signal', async () => {
    const target = new FakeProcess();
    const { logger, lines } = memoryLogger();
    const coordinator = new ShutdownCoordinator({ logger }).add(
      'hang',
      () => new Promise<void>(() => undefined),
    );
    coordinator.onSignals(target, ['SIGTERM', 'SIGINT']);
    target.emit('SIGTERM');
    target.emit('SIGINT');
    expect(target.exits).toEqual([1]);
    expect(
      lines().find((line) => line['msg'] === 'second signal during shutdown; exiting now')?.['signal'],
    ).toBe('SIGINT');
  });

  it('removes its handlers when asked', () => {
    const target = new FakeProcess();
    const coordinator = new ShutdownCoordinator({ logger: memoryLogger().logger });
    const remove = coordinator.onSignals(target, ['SIGTERM', 'SIGINT']);
    expect([target.listenerCount('SIGTERM'), target.listenerCount('SIGINT')]).toEqual([1, 1]);
    remove();
    expect([target.listenerCount('SIGTERM'), target.listenerCount('SIGINT')]).toEqual([0, 0]);
    target.emit('SIGTERM');
    expect(coordinator.started).toBe(false);
  });
});
