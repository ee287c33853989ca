import { status } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import type { Repository } from '@message-bus/repository';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { etcdEndpoints, startThrowawayEtcd, type ThrowawayEtcd } from '@message-bus/tools/etcd';
import {
  capturingLogger,
  embeddedStore,
  etcdStore,
  HealthServer,
  SERVED,
  type WatchReader,
} from '../test/health-harness';

describe.each([embeddedStore(), etcdStore(etcdEndpoints)])('grpc.health.v1 on the $name', (storeCase) => {
  let repository: Repository;
  let server: HealthServer;

  beforeEach(async () => {
    repository = await storeCase.open();
    server = await new HealthServer(repository, capturingLogger().logger, { intervalMs: 20 }).start();
    await server.waitForStatus('SERVING', 10_000);
  });
  afterEach(async () => {
    server.stop();
    await repository.close();
  });

  it('answers Check with SERVING for the server and each served service while the store answers', async () => {
    const statuses = await Promise.all(['', ...SERVED].map((name) => server.check(name)));
    expect(statuses).toEqual(['SERVING', 'SERVING', 'SERVING']);
  });

  it('answers Check for a service it does not serve with NOT_FOUND', async () => {
    const failure = await server.check('travel.TravelService').catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: status.NOT_FOUND,
      details:
        'unknown service "travel.TravelService"; this server reports "", "collector.CollectorService", "query.QueryService"',
    });
  });

  it('lists every name it reports', async () => {
    expect(await server.list()).toEqual({
      '': 'SERVING',
      'collector.CollectorService': 'SERVING',
      'query.QueryService': 'SERVING',
    });
  });

  it('answers Watch of an unknown service with SERVICE_UNKNOWN and keeps it open', async () => {
    const watch = server.watch('travel.TravelService');
    let ended = false;
    void watch.ended.then(() => (ended = true));
    await watch.waitForCount(1);
    await server.check(''); // a round trip later, the watch is still open

    expect(watch.statuses).toEqual(['SERVICE_UNKNOWN']);
    expect(ended).toBe(false);
    watch.call.cancel();
  });

  it('turns NOT_SERVING when the store is closed', async () => {
    const watch = server.watch('query.QueryService');
    await watch.waitForCount(1);

    await repository.close();

    await watch.waitForCount(2);
    expect(watch.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await server.check('')).toBe('NOT_SERVING');
    watch.call.cancel();
  });

  it('beginShutdown: NOT_SERVING for good, open watches told and ended, new watches ended at once', async () => {
    const watches = ['', 'query.QueryService'].map((name) => server.watch(name));
    await Promise.all(watches.map((watch) => watch.waitForCount(1)));

    server.health.beginShutdown();

    for (const watch of watches) {
      expect(await watch.ended).toBeUndefined();
      expect(watch.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    }
    const late = server.watch('collector.CollectorService');
    expect(await late.ended).toBeUndefined();
    expect(late.statuses).toEqual(['NOT_SERVING']);
    // The monitor keeps seeing a reachable store; the status stays.
    expect(server.monitor.current).toEqual({ reachable: true });
    expect(await server.list()).toEqual({
      '': 'NOT_SERVING',
      'collector.CollectorService': 'NOT_SERVING',
      'query.QueryService': 'NOT_SERVING',
    });
  });
});

describe('grpc.health.v1 through an etcd outage', () => {
  let etcd: ThrowawayEtcd;
  let repository: Repository;
  let server: HealthServer;
  let logLines: Record<string, unknown>[];

  beforeAll(async () => {
    etcd = await startThrowawayEtcd();
    repository = await etcdStore(() => [etcd.endpoint]).open();
    const { logger, lines } = capturingLogger();
    logLines = lines;
    server = await new HealthServer(repository, logger).start(); // the default interval and timeout
  }, 30_000);
  afterAll(async () => {
    server?.stop();
    await repository?.close();
    await etcd?.remove();
  });

  it('goes NOT_SERVING when etcd stops and SERVING again once it is back, streaming both to Watch', async () => {
    await server.waitForStatus('SERVING', 10_000);
    const watches: WatchReader[] = ['', 'collector.CollectorService'].map((name) => server.watch(name));
    await Promise.all(watches.map((watch) => watch.waitForCount(1)));

    await etcd.stop();
    // Three failed probes of up to 1 s + 2 s each by default (9 s); the rest is room for a loaded machine.
    await server.waitForStatus('NOT_SERVING', 20_000);
    expect(await server.check('query.QueryService')).toBe('NOT_SERVING');

    await etcd.start();
    await server.waitForStatus('SERVING', 20_000);

    for (const watch of watches) {
      await watch.waitForCount(3);
      expect(watch.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
      watch.call.cancel();
    }
    const transitions = logLines.map((line) => [line['level'], line['store']]);
    expect(transitions).toEqual([
      ['info', 'reachable'],
      ['warn', 'unreachable'],
      ['info', 'reachable'],
    ]);
    // The reason is etcd's refusal naming the endpoint, or, when the probe's deadline
    // comes first (seen on a loaded CI machine), that it went unanswered.
    const outage = logLines[1];
    const endpoint = etcd.endpoint.replace('http://', '');
    expect(String(outage?.['reason'])).toMatch(
      new RegExp(`${endpoint.replaceAll('.', '\\.')}|did not answer a health probe within \\d+ ms`),
    );
    await vi.waitFor(() => expect(server.monitor.current).toEqual({ reachable: true }));
  });
});

describe('grpc.health.v1 while etcd is out of space', () => {
  let etcd: ThrowawayEtcd;
  let repository: Repository;
  let server: HealthServer;
  let logLines: Record<string, unknown>[];

  beforeAll(async () => {
    etcd = await startThrowawayEtcd({ quotaBackendBytes: 2 * 1024 * 1024 });
    repository = await etcdStore(() => [etcd.endpoint]).open();
    const { logger, lines } = capturingLogger();
    logLines = lines;
    server = await new HealthServer(repository, logger, { intervalMs: 20 }).start();
  }, 30_000);
  afterAll(async () => {
    server?.stop();
    await repository?.close();
    await etcd?.remove();
  });

  it('turns the collector NOT_SERVING while writes are refused, keeps reads SERVING, and logs why', async () => {
    await server.waitForStatus('SERVING', 10_000);
    const collectorWatch = server.watch('collector.CollectorService');
    await collectorWatch.waitForCount(1);
    // Two clients: etcd3's circuit breaker opens on the filler's refused puts.
    const filling = new Etcd3({ hosts: etcd.endpoint });
    const admin = new Etcd3({ hosts: etcd.endpoint });
    try {
      const filler = Buffer.alloc(64 * 1024, 1);
      let full = false;
      for (let key = 0; key < 100 && !full; key++) {
        full = await filling
          .put(`/filler/${key}`)
          .value(filler)
          .then(
            () => false,
            (error: unknown) => String(error).includes('database space exceeded'),
          );
      }
      expect(full).toBe(true);
      await vi.waitFor(
        async () => expect(await server.check('collector.CollectorService')).toBe('NOT_SERVING'),
        { timeout: 5_000, interval: 20 },
      );
      expect(await server.list()).toEqual({
        '': 'SERVING',
        'collector.CollectorService': 'NOT_SERVING',
        'query.QueryService': 'SERVING',
      });

      await admin.delete().prefix('/filler/');
      const { header } = await admin.kv.range({ key: Buffer.from('/'), count_only: true });
      await admin.kv.compact({ revision: header.revision, physical: true });
      await admin.maintenance.defragment();
      for (const { memberID, alarm } of (await admin.maintenance.alarm({ action: 'Get' })).alarms) {
        await admin.maintenance.alarm({ action: 'Deactivate', memberID, alarm });
      }
    } finally {
      filling.close();
      admin.close();
    }
    await collectorWatch.waitForCount(3);
    expect(collectorWatch.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    collectorWatch.call.cancel();

    const reason = `etcd at ${etcd.endpoint} is out of space (NOSPACE alarm; compact, defragment and disarm it)`;
    expect(logLines.map((line) => [line['level'], line['msg'], line['reason']])).toEqual([
      ['info', 'store reachable', undefined],
      ['warn', `store refuses writes: ${reason}`, reason],
      ['info', 'store accepts writes again', undefined],
    ]);
  });
});
