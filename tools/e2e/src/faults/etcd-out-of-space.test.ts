import { status } from '@grpc/grpc-js';
import { startThrowawayEtcd } from '@message-bus/tools/etcd';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cleanup } from '@message-bus/tools/cleanup';
import { startCqserver } from '../support/cqserver';
import { checkHealth, collectorClient, createEventLog, queryClient } from '../support/grpc-clients';
import { metricValue, scrapeMetrics } from '../support/metrics';
import { SightingPlan } from '../support/sighting-plan';
import { readStoredSightings } from '../support/stored-sightings';

const MiB = 1024 * 1024;
const quotaBytes = 16 * MiB;
/** Filler fills the quota up to this much, so cqserver's own sightings are what trips the NOSPACE alarm. */
const headroomBytes = MiB;
/** Logs acknowledged before the filler goes in, so queries have something to answer while etcd is full. */
const logsBeforeFilling = 3;
/** Logs sent after the alarm is disarmed, besides the refused one. */
const logsAfterRecovery = 5;

describe("etcd's space quota exhausted under cqserver", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // The limits bound a hang, not a speed: the test took 7 s on a quiet machine, 33–96 s at
  // a load average of 28–40 (of 180 s then).
  it('ingest answers RESOURCE_EXHAUSTED, queries and health go on, and ingest resumes after compact, defrag and disarm', async () => {
    const etcd = cleanup.add(
      'remove etcd',
      await startThrowawayEtcd({ quotaBackendBytes: quotaBytes }),
      (etcd) => etcd.remove(),
    );
    const admin = cleanup.add('close the admin client', new Etcd3({ hosts: etcd.endpoint }), (client) =>
      client.close(),
    );
    // The filler has its own client: a put refused for NOSPACE opens etcd3's circuit
    // breaker, which would then refuse the admin's alarm, compact and defrag calls.
    const filling = cleanup.add('close the filler client', new Etcd3({ hosts: etcd.endpoint }), (client) =>
      client.close(),
    );
    const cqserver = cleanup.add(
      'kill cqserver',
      await startCqserver({ kind: 'etcd', endpoint: etcd.endpoint, prefix: 'quota' }),
      (cqserver) => cqserver.kill(),
    );
    const collector = cleanup.add(
      'close the collector client',
      collectorClient(cqserver.address('collector')),
      (c) => c.close(),
    );
    const query = cleanup.add('close the query client', queryClient(cqserver.address('query')), (c) =>
      c.close(),
    );

    const plan = new SightingPlan({
      tag: 'quota',
      sightings: 100_000, // more than the quota holds: ingest stops at NOSPACE
      sightingsPerLog: 1_000,
      detectors: 3,
      firstTimeMs: Date.now() - 3_600_000,
    });
    for (const log of plan.logs.slice(0, logsBeforeFilling)) await createEventLog(collector, log);

    // Other data of the same etcd (outside cqserver's prefix) takes most of the quota. etcd
    // commits in batches, so the size it reports lags: a filler put may trip the alarm itself.
    const filler = Buffer.alloc(256 * 1024, 'f');
    let fillerKeys = 0;
    let fillerRaisedAlarm = false;
    while (
      !fillerRaisedAlarm &&
      Number((await admin.maintenance.status()).dbSize) < quotaBytes - headroomBytes
    ) {
      fillerRaisedAlarm = await filling
        .put(`/filler/${fillerKeys}`)
        .value(filler)
        .then(
          () => false,
          (error: unknown) => {
            if (String(error).includes('database space exceeded')) return true;
            throw error;
          },
        );
      if (!fillerRaisedAlarm) fillerKeys += 1;
    }

    let refusedLog = logsBeforeFilling;
    let refusal: unknown;
    for (; refusedLog < plan.logs.length; refusedLog++) {
      refusal = await createEventLog(collector, plan.logs[refusedLog]!).catch((error: unknown) => error);
      if (refusal !== undefined) break;
    }
    expect(refusal).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'store is out of space' });
    expect((await admin.maintenance.alarm({ action: 'Get' })).alarms.map((alarm) => alarm.alarm)).toEqual([
      'Nospace',
    ]);
    // While the alarm stands, every log is refused the same way.
    await expect(createEventLog(collector, plan.logs[refusedLog]!)).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'store is out of space',
    });

    // Queries keep working: every acknowledged sighting reads back, once.
    const whileFull = await readStoredSightings(query, plan);
    const ackedKeys = [...plan.keysOf(plan.logs.slice(0, refusedLog))];
    expect(ackedKeys.filter((key) => !whileFull.keys.has(key))).toEqual([]);
    // The refused log may be partly stored; nothing else is, and nothing twice.
    const sentKeys = plan.keysOf(plan.logs.slice(0, refusedLog + 1));
    expect([...whileFull.keys].filter((key) => !sentKeys.has(key))).toEqual([]);
    expect(whileFull.duplicates).toBe(0);

    // Health: the collector is NOT_SERVING while etcd refuses writes; queries, and the
    // server as a whole, stay SERVING since reads work. Why is in the store's health log
    // line, the metrics (by outcome and by status code) and the error log line.
    const healthAddress = cqserver.address('healthcheck');
    await vi.waitFor(
      async () => expect(await checkHealth(healthAddress, 'collector.CollectorService')).toBe('NOT_SERVING'),
      { timeout: 90_000, interval: 100 },
    );
    expect(await checkHealth(healthAddress)).toBe('SERVING');
    expect(await checkHealth(healthAddress, 'query.QueryService')).toBe('SERVING');
    // Once by each process that saw it: with --workers each worker has its own store client.
    const refusingLines = cqserver.logLines.filter((line) => line['store'] === 'refusing writes');
    expect(refusingLines).not.toEqual([]);
    expect(new Set(refusingLines.map((line) => line['pid'])).size).toBe(refusingLines.length);
    for (const line of refusingLines) {
      expect(line).toMatchObject({
        msg: `store refuses writes: etcd at ${etcd.endpoint} is out of space (NOSPACE alarm; compact, defragment and disarm it)`,
      });
    }
    const metrics = await scrapeMetrics(cqserver.address('metrics'));
    const quotaFailures = metricValue(metrics, 'message_bus_store_operation_duration_seconds_count', {
      operation: 'events.append',
      outcome: 'quota_exhausted',
    });
    const exhaustedCalls = metricValue(metrics, 'grpc_server_handled_total', {
      grpc_method: 'CreateEventLog',
      grpc_code: 'ResourceExhausted',
    });
    expect(quotaFailures).toBeGreaterThanOrEqual(2);
    expect(exhaustedCalls).toBe(2);
    const outOfSpaceLines = cqserver.logLines.filter((line) => line['msg'] === 'store out of space');
    expect(outOfSpaceLines.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(outOfSpaceLines[0])).toContain(
      `etcd at ${etcd.endpoint} is out of space (NOSPACE alarm; compact, defragment and disarm it)`,
    );

    // The operator frees space, compacts, defragments and disarms; cqserver is not restarted.
    await admin.delete().prefix('/filler/');
    const { header } = await admin.kv.range({ key: Buffer.from('/'), count_only: true });
    await admin.kv.compact({ revision: header.revision, physical: true });
    await admin.maintenance.defragment();
    for (const alarm of (await admin.maintenance.alarm({ action: 'Get' })).alarms) {
      await admin.maintenance.alarm({ action: 'Deactivate', memberID: alarm.memberID, alarm: alarm.alarm });
    }
    const dbSizeAfter = Number((await admin.maintenance.status()).dbSize);

    // The refused log is resent until taken, then a few more.
    await vi.waitFor(() => createEventLog(collector, plan.logs[refusedLog]!), {
      timeout: 90_000,
      interval: 250,
    });
    await vi.waitFor(
      async () => expect(await checkHealth(healthAddress, 'collector.CollectorService')).toBe('SERVING'),
      { timeout: 90_000, interval: 100 },
    );
    const sent = plan.logs.slice(0, refusedLog + 1 + logsAfterRecovery);
    for (const log of sent.slice(refusedLog + 1)) await createEventLog(collector, log);
    const expected = plan.keysOf(sent);
    const after = await readStoredSightings(query, plan, expected);
    console.log(
      `etcd quota ${quotaBytes / MiB} MiB: ${fillerKeys} filler keys (NOSPACE raised by ${fillerRaisedAlarm ? 'the filler' : 'ingest'}), ${refusedLog * plan.options.sightingsPerLog} sightings ` +
        `acked before NOSPACE, RESOURCE_EXHAUSTED "${String((refusal as { details?: unknown }).details)}", ` +
        `${whileFull.stored} readable while full, health: collector NOT_SERVING, query and server SERVING, metrics quota_exhausted appends ${quotaFailures}, ` +
        `RESOURCE_EXHAUSTED calls ${exhaustedCalls}; db ${dbSizeAfter} bytes after compact+defrag; ` +
        `after disarm sent ${expected.size}: stored ${after.stored}, distinct ${after.distinct}, duplicates ${after.duplicates}, ` +
        `missing ${after.missing}, cqserver restarts 0`,
    );
    expect(cqserver.logLines.filter((line) => line['msg'] === 'ready')).toHaveLength(1);
    expect(after).toMatchObject({
      stored: expected.size,
      distinct: expected.size,
      duplicates: 0,
      missing: 0,
      unexpected: 0,
    });
  }, 400_000);
});
