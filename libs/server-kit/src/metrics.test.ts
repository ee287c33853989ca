import { status as GrpcStatus } from '@grpc/grpc-js';
import { StoreUnavailableError } from '@message-bus/repository';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../test/echo-service';
import { ServerMetrics, splitMethodPath } from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';

describe('ServerMetrics', () => {
  it('counts sightings by kind and rejections by reason', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.countIngested('wifi', 3);
    metrics.countIngested('bluetooth');
    metrics.countRejected('invalid_device_id', 2);
    const text = await metrics.scrape();
    expect(text).toContain('sightings_ingested_total{kind="wifi"} 3');
    expect(text).toContain('sightings_ingested_total{kind="bluetooth"} 1');
    expect(text).toContain('sightings_rejected_total{reason="invalid_device_id"} 2');
  });

  it('times store operations by outcome and passes results and errors through', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    await expect(metrics.timeStoreOperation('put_events', async () => 42)).resolves.toBe(42);
    const unavailable = new StoreUnavailableError('etcd did not answer');
    await expect(metrics.timeStoreOperation('put_events', () => Promise.reject(unavailable))).rejects.toBe(
      unavailable,
    );
    await expect(
      metrics.timeStoreOperation('get_events', () => Promise.reject(new Error('bug'))),
    ).rejects.toThrow('bug');
    const text = await metrics.scrape();
    expect(text).toContain('store_operation_duration_seconds_count{operation="put_events",outcome="ok"} 1');
    expect(text).toContain(
      'store_operation_duration_seconds_count{operation="put_events",outcome="unavailable"} 1',
    );
    expect(text).toContain(
      'store_operation_duration_seconds_count{operation="get_events",outcome="error"} 1',
    );
  });

  it('shows whether calls may go to each etcd endpoint', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.setEtcdEndpointUp('http://etcd-0:2379', true);
    metrics.setEtcdEndpointUp('http://etcd-1:2379', true);
    metrics.setEtcdEndpointUp('http://etcd-1:2379', false);
    const text = await metrics.scrape();
    expect(text).toContain('etcd_endpoint_up{endpoint="http://etcd-0:2379"} 1');
    expect(text).toContain('etcd_endpoint_up{endpoint="http://etcd-1:2379"} 0');
  });

  it('keeps each instance in its own registry, with process metrics and default labels', async () => {
    const first = new ServerMetrics({ defaultLabels: { app: 'collector' } });
    const second = new ServerMetrics({ defaultLabels: { app: 'query' } });
    first.recordGrpcCall('/collector.CollectorService/CreateEventLog', GrpcStatus.OK, 0.002);
    const firstText = await first.scrape();
    const secondText = await second.scrape();
    expect(firstText).toContain(
      'grpc_server_handled_total{service="collector.CollectorService",method="CreateEventLog",code="OK",app="collector"} 1',
    );
    expect(secondText).not.toContain('CreateEventLog');
    expect(secondText).toContain('process_cpu_user_seconds_total{app="query"}');
  });

  it('splits method paths', () => {
    expect(splitMethodPath('/query.QueryService/GetEvents')).toEqual({
      service: 'query.QueryService',
      method: 'GetEvents',
    });
    expect(splitMethodPath('odd')).toEqual({ service: 'unknown', method: 'odd' });
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics, /healthz and 404 over HTTP on the bound port', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.countIngested('mobile', 5);
    const { logger, lines } = memoryLogger();
    server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 }, logger);
    expect(server.port).toBeGreaterThan(0);
    expect(lines()).toEqual([
      expect.objectContaining({
        service: 'metrics',
        address: `127.0.0.1:${server.port}`,
        tls: false,
        msg: 'metrics server listening',
      }),
    ]);
    const base = `http://127.0.0.1:${server.port}`;

    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toContain('sightings_ingested_total{kind="mobile"} 5');

    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('closes even while a scraper keeps its connection alive', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    const running = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 }, memoryLogger().logger);
    const url = `http://127.0.0.1:${running.port}/healthz`;
    expect((await fetch(url, { keepalive: true })).status).toBe(200);
    await running.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
