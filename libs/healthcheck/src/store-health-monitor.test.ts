import type { Repository, StoreHealth } from '@message-bus/repository';
import { createLogger } from '@message-bus/server-kit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { capturingLogger, embeddedStore, ProbedStore } from '../test/health-harness';
import { StoreHealthMonitor } from './store-health-monitor';

describe('StoreHealthMonitor on a real embedded store', () => {
  let repository: Repository;
  let monitor: StoreHealthMonitor | undefined;

  beforeEach(async () => {
    repository = await embeddedStore().open();
  });
  afterEach(async () => {
    monitor?.stop();
    await repository.close();
  });

  it('probes at start, tells listeners and logs once, and then only on a change', async () => {
    const probed = new ProbedStore(repository);
    const { logger, lines } = capturingLogger();
    monitor = new StoreHealthMonitor(probed.repository, { logger, intervalMs: 10 });
    const changes: StoreHealth[] = [];
    monitor.onChange((health) => changes.push(health));
    expect(monitor.current).toBeUndefined();

    monitor.start();
    await probed.waitForProbes(5);

    expect(monitor.current).toEqual({ reachable: true });
    expect(changes).toEqual([{ reachable: true }]);
    expect(lines.map((line) => [line['level'], line['msg']])).toEqual([['info', 'store reachable']]);
  });

  it('counts a probe that hangs as unreachable after timeoutMs, and logs the way back', async () => {
    const probed = new ProbedStore(repository);
    const { logger, lines } = capturingLogger();
    monitor = new StoreHealthMonitor(probed.repository, { logger, intervalMs: 10, timeoutMs: 100 });
    const changes: StoreHealth[] = [];
    monitor.onChange((health) => changes.push(health));
    monitor.start();
    await probed.waitForProbes(1);

    probed.hang = true;
    await vi.waitFor(() => expect(monitor?.current?.reachable).toBe(false), { timeout: 5_000, interval: 10 });
    probed.hang = false;
    await vi.waitFor(() => expect(monitor?.current?.reachable).toBe(true), { timeout: 5_000, interval: 10 });

    const reason = 'the store did not answer a health probe within 100 ms';
    expect(changes).toEqual([{ reachable: true }, { reachable: false, reason }, { reachable: true }]);
    expect(lines.map((line) => [line['level'], line['msg'], line['reason']])).toEqual([
      ['info', 'store reachable', undefined],
      ['warn', `store unreachable: ${reason}`, reason],
      ['info', 'store reachable again', undefined],
    ]);
  });

  it('keeps a reachable store reachable through two failed probes, and not through three in a row', async () => {
    const answers: StoreHealth[] = [
      { reachable: true },
      { reachable: false, reason: 'slow' },
      { reachable: false, reason: 'slower' },
      { reachable: true },
      { reachable: false, reason: 'first' },
      { reachable: false, reason: 'second' },
      { reachable: false, reason: 'third' },
      { reachable: false, reason: 'fourth' },
      { reachable: true },
    ];
    let asked = 0;
    const scripted = { health: async () => answers[Math.min(asked++, answers.length - 1)]! };
    const { logger } = capturingLogger();
    monitor = new StoreHealthMonitor(scripted, { logger, intervalMs: 1 });
    const changes: StoreHealth[] = [];
    monitor.onChange((health) => changes.push(health));
    monitor.start();
    await vi.waitFor(() => expect(asked).toBeGreaterThanOrEqual(answers.length + 1), {
      timeout: 5_000,
      interval: 5,
    });
    expect(changes).toEqual([{ reachable: true }, { reachable: false, reason: 'third' }, { reachable: true }]);
  });

  it('judges a store not yet known reachable on its first probe', async () => {
    const { logger } = capturingLogger();
    monitor = new StoreHealthMonitor(
      { health: async () => ({ reachable: false, reason: 'down' }) },
      { logger, intervalMs: 1 },
    );
    monitor.start();
    await vi.waitFor(() => expect(monitor?.current).toEqual({ reachable: false, reason: 'down' }), {
      timeout: 5_000,
      interval: 5,
    });
  });

  it('reports a closed repository as unreachable with the store’s reason', async () => {
    const { logger } = capturingLogger();
    monitor = new StoreHealthMonitor(repository, { logger, intervalMs: 10 });
    monitor.start();
    await vi.waitFor(() => expect(monitor?.current).toEqual({ reachable: true }), {
      timeout: 5_000,
      interval: 10,
    });

    await repository.close();

    await vi.waitFor(
      () => expect(monitor?.current).toEqual({ reachable: false, reason: 'the repository is closed' }),
      { timeout: 5_000, interval: 10 },
    );
  });

  it('logs a listener that throws and goes on probing and telling the others, nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const probed = new ProbedStore(repository);
      const { logger, lines } = capturingLogger();
      monitor = new StoreHealthMonitor(probed.repository, { logger, intervalMs: 10, timeoutMs: 100 });
      monitor.onChange(() => {
        throw new Error('listener broke');
      });
      const changes: StoreHealth[] = [];
      monitor.onChange((health) => changes.push(health));
      monitor.start();
      await probed.waitForProbes(3);
      probed.hang = true;
      await vi.waitFor(() => expect(changes).toHaveLength(2), { timeout: 5_000, interval: 10 });

      expect(changes.map((health) => health.reachable)).toEqual([true, false]);
      const failures = lines.filter((line) => line['msg'] === 'store health listener failed');
      expect(failures.map((line) => (line['err'] as { message?: unknown }).message)).toEqual([
        'listener broke',
        'listener broke',
      ]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops probing on stop()', async () => {
    const probed = new ProbedStore(repository);
    monitor = new StoreHealthMonitor(probed.repository, { logger: capturingLogger().logger, intervalMs: 5 });
    monitor.start();
    await probed.waitForProbes(2);
    monitor.stop();
    const probesAtStop = probed.probes;

    // Forty intervals: a monitor still running would have probed again by now.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(probed.probes).toBeLessThanOrEqual(probesAtStop + 1); // at most the probe already in flight
  });

  it.each([
    [{ intervalMs: 0 }, 'StoreHealthMonitorOptions.intervalMs must be a positive whole number of ms, got 0'],
    [
      { timeoutMs: 1.5 },
      'StoreHealthMonitorOptions.timeoutMs must be a positive whole number of ms, got 1.5',
    ],
  ])('rejects %o', (options, message) => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    expect(() => new StoreHealthMonitor(repository, { logger, ...options })).toThrow(new RangeError(message));
  });
});
