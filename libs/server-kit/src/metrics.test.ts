import { status as GrpcStatus } from '@grpc/grpc-js';
import { StoreUnavailableError } from '@message-bus/repository';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../test/echo-service';
import { grpcTypeOf, ServerMetrics, splitMethodPath } from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';

describe('ServerMetrics', () => {
  it('names every metric of its own message_bus_*, and gRPC and process metrics by their conventions', async () => {
    const metrics = new ServerMetrics();
    const names = [...(await metrics.scrape()).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? '');
    const own = names.filter((name) => !/^(process|nodejs)_/.test(name));
    expect(own.length).toBeGreaterThan(15);
    for (const name of own) expect(name).toMatch(/^(message_bus_|grpc_server_)/);
    expect(own.filter((name) => name.startsWith('grpc_server_')).sort()).toEqual([
      'grpc_server_handled_total',
      'grpc_server_handling_seconds',
      'grpc_server_msg_received_total',
      'grpc_server_msg_sent_total',
      'grpc_server_started_total',
    ]);
  });

  it('says the version and commit it was built from in message_bus_build_info', async () => {
    const metrics = new ServerMetrics({
      processMetrics: false,
      defaultLabels: { app: 'query' },
      build: { version: '1.2.3', commit: '0123abc' },
    });
    expect((await metrics.scrape()).split('\n')).toContain(
      'message_bus_build_info{version="1.2.3",commit="0123abc",app="query"} 1',
    );
  });

  it('starts every device kind and rejection reason at 0', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.initialiseSightingCounts(['invalid_device_id', 'empty_log']);
    metrics.countRejected('empty_log');
    const lines = (await metrics.scrape()).split('\n');
    expect(lines.filter((line) => line.startsWith('message_bus_sightings_'))).toEqual([
      'message_bus_sightings_ingested_total{kind="wifi"} 0',
      'message_bus_sightings_ingested_total{kind="bluetooth"} 0',
      'message_bus_sightings_ingested_total{kind="mobile"} 0',
      'message_bus_sightings_rejected_total{reason="invalid_device_id"} 0',
      'message_bus_sightings_rejected_total{reason="empty_log"} 1',
    ]);
  });

  it('counts sightings by kind and rejections by reason', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.countIngested('wifi', 3);
    metrics.countIngested('bluetooth');
    metrics.countRejected('invalid_device_id', 2);
    const text = await metrics.scrape();
    expect(text).toContain('message_bus_sightings_ingested_total{kind="wifi"} 3');
    expect(text).toContain('message_bus_sightings_ingested_total{kind="bluetooth"} 1');
    expect(text).toContain('message_bus_sightings_rejected_total{reason="invalid_device_id"} 2');
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
    expect(text).toContain('message_bus_store_operation_duration_seconds_count{operation="put_events",outcome="ok"} 1');
    // An operation's first use gives each of its outcomes a series, so its first quota failure shows in a rate.
    expect(text).toContain(
      'message_bus_store_operation_duration_seconds_count{operation="put_events",outcome="quota_exhausted"} 0',
    );
    expect(text).toContain(
      'message_bus_store_operation_duration_seconds_count{operation="put_events",outcome="unavailable"} 1',
    );
    expect(text).toContain(
      'message_bus_store_operation_duration_seconds_count{operation="get_events",outcome="error"} 1',
    );
  });

  it('shows whether calls may go to each etcd endpoint', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    metrics.setEtcdEndpointUp('http://etcd-0:2379', true);
    metrics.setEtcdEndpointUp('http://etcd-1:2379', true);
    metrics.setEtcdEndpointUp('http://etcd-1:2379', false);
    const text = await metrics.scrape();
    expect(text).toContain('message_bus_etcd_endpoint_up{endpoint="http://etcd-0:2379"} 1');
    expect(text).toContain('message_bus_etcd_endpoint_up{endpoint="http://etcd-1:2379"} 0');
  });

  it('keeps each instance in its own registry, with process metrics and default labels', async () => {
    const first = new ServerMetrics({ defaultLabels: { app: 'collector' } });
    const second = new ServerMetrics({ defaultLabels: { app: 'query' } });
    first
      .startGrpcCall({ path: '/collector.CollectorService/CreateEventLog', requestStream: false, responseStream: false })
      .finished(GrpcStatus.OK);
    const firstText = await first.scrape();
    const secondText = await second.scrape();
    expect(firstText).toContain(
      'grpc_server_handled_total{grpc_type="unary",grpc_service="collector.CollectorService",grpc_method="CreateEventLog",grpc_code="OK",app="collector"} 1',
    );
    expect(secondText).not.toContain('CreateEventLog');
    expect(secondText).toContain('process_cpu_user_seconds_total{app="query"}');
  });

  it('names the gRPC method type from its streaming sides', () => {
    expect([
      grpcTypeOf({ requestStream: false, responseStream: false }),
      grpcTypeOf({ requestStream: true, responseStream: false }),
      grpcTypeOf({ requestStream: false, responseStream: true }),
      grpcTypeOf({ requestStream: true, responseStream: true }),
    ]).toEqual(['unary', 'client_stream', 'server_stream', 'bidi_stream']);
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
    expect(await scrape.text()).toContain('message_bus_sightings_ingested_total{kind="mobile"} 5');

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
