import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { collector } from '@message-bus/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsvLine } from '../src/lib/csv/csv-fields';
import type { CqserverProcess } from './cqserver-process';
import { mbcli, mbcliJson } from './mbcli';
import { startMbcliProcess } from './mbcli-process';
import { poll, ROAD_SCENARIO, STORES, trafficProductsSetup } from './traffic-products-setup';

interface DetectorRow {
  id: string;
  health: {
    lastSeen: string | null;
    problems: string[];
    clockSkewSeconds: number | null;
    batteryVoltsPerDay: number | null;
    checkedAt: string | null;
  } | null;
}

interface AlertRow {
  id: string;
  kind: string;
  severity: string;
  subject: string;
  start: string;
  startUnixNanos: string;
  end: string | null;
  endUnixNanos: string | null;
  open: boolean;
  evidence: string;
}

/** A status report of `detectorId` with this battery voltage, sent as a detector would. */
async function sendStatus(collectorPort: number, detectorId: string, volts: number): Promise<void> {
  const client = new collector.CollectorServiceClient(
    `127.0.0.1:${collectorPort}`,
    credentials.createInsecure(),
  );
  try {
    await new Promise<void>((resolve, reject) =>
      client.createDetectorStatus(
        collector.DetectorStatus.fromPartial({
          loc: { detectorId },
          batteryVoltage: volts,
          activeDetectors: [collector.DEVICE.BLUETOOTH],
          time: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 },
        }),
        new Metadata(),
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  } finally {
    client.close();
  }
}

const setup = trafficProductsSetup();

describe.each(STORES)('detector health and alerts on the %s store', (kind) => {
  let server: CqserverProcess;
  let flags: string[];
  beforeAll(async () => {
    // Detectors checked every two seconds rather than every minute.
    server = await setup.startServer(kind, ['--traveltime.detector_check_interval=2s']);
    flags = server.hostFlags();
    // The road's detectors, with positions and a quarter hour of sightings.
    const scenarioFile = join(setup.workDir(), `health-${kind}.json`);
    writeFileSync(scenarioFile, JSON.stringify(ROAD_SCENARIO));
    const traffic = await mbcli([
      'traffic',
      '--scenario',
      scenarioFile,
      '--speed',
      '600',
      '--duration',
      '900',
      ...flags,
    ]);
    expect(traffic.error).toBeUndefined();
  }, 60_000);
  afterAll(() => server?.stop());

  it('detectors list shows the health the workers judged, and alerts lists a low battery', async () => {
    // The scenario's detectors have positions and sightings; a low battery report on rs2.
    const status = await mbcli([
      'status',
      'send',
      '--id',
      'rs2',
      '--voltage',
      '10.4',
      '--radios',
      'bluetooth',
      ...flags,
    ]);
    expect(status.error).toBeUndefined();
    const detectors = await poll(
      () => mbcliJson<DetectorRow[]>(['detectors', 'list', ...flags]),
      (rows) =>
        ['rs1', 'rs2', 'rs3'].every(
          (id) => (rows.find((row) => row.id === id)?.health?.lastSeen ?? null) !== null,
        ) && rows.find((row) => row.id === 'rs2')!.health!.problems.includes('battery_low'),
      150,
    );
    for (const id of ['rs1', 'rs2', 'rs3']) {
      const health = detectors.find((row) => row.id === id)?.health;
      expect(health?.lastSeen ?? null).not.toBeNull();
      // Seen within the simulated quarter hour that ended when the traffic was sent.
      expect(Date.now() - Date.parse(health!.lastSeen!)).toBeLessThan(30 * 60_000);
    }
    expect(detectors.find((row) => row.id === 'rs2')!.health!.problems).toContain('battery_low');
    const table = (await mbcli(['detectors', 'list', ...flags])).stdout.split('\n');
    expect(table[0]).toMatch(/^DETECTOR\s+.*\s+LAST SEEN\s+PROBLEMS\s+CLOCK SKEW\s+BATTERY TREND$/);
    expect(table.find((line) => line.startsWith('rs2 '))).toMatch(
      /10\.40\s+bluetooth\s+\S+\s+\d+[smhd] ago\s+battery low/,
    );

    const alerts = await mbcliJson<AlertRow[]>(['alerts', '--kind', 'battery_low', '--open', ...flags]);
    expect(alerts.map((alert) => [alert.kind, alert.subject, alert.open])).toEqual([
      ['battery_low', 'detector rs2', true],
    ]);
    expect(alerts[0]!.evidence).not.toBe('');
    const listed = (await mbcli(['alerts', '--open', ...flags])).stdout.split('\n');
    expect(listed[0]).toMatch(/^START\s+STATE\s+SEVERITY\s+KIND\s+SUBJECT\s+EVIDENCE$/);
    expect(listed.some((line) => /\sopen\s+\w+\s+battery low\s+detector rs2\s/.test(line))).toBe(true);
    const csv = (await mbcli(['alerts', '--kind', 'battery_low', '--csv', ...flags])).stdout
      .trimEnd()
      .split('\n');
    // The columns are the JSON's fields, by the same names, exact times beside their nanoseconds.
    expect(csv[0]).toBe(
      'id,kind,severity,subject,start,startUnixNanos,end,endUnixNanos,updated,updatedUnixNanos,evidence',
    );
    expect(splitCsvLine(csv[1]!, ',').slice(0, 8)).toEqual([
      alerts[0]!.id,
      'battery_low',
      alerts[0]!.severity,
      'detector rs2',
      alerts[0]!.start,
      alerts[0]!.startUnixNanos,
      '',
      '',
    ]);
    expect(alerts[0]).toMatchObject({ end: null, endUnixNanos: null });
    // A reading below the low-voltage threshold is critical; steady traffic raises no congestion.
    expect(alerts[0]!.severity).toBe('critical');
    const critical = await mbcliJson<AlertRow[]>([
      'alerts',
      '--min_severity',
      'critical',
      '--open',
      ...flags,
    ]);
    expect(critical.map((alert) => alert.id)).toContain(alerts[0]!.id);
    expect(await mbcliJson(['alerts', '--kind', 'congestion', ...flags])).toEqual([]);

    // --follow prints the list, then follows the stream until --stop_after changes: a
    // battery report back to normal clears the alert. The follower is a process of its
    // own, so the report is sent once it has printed the list (its stream was opened
    // before the list was read), however long starting took.
    const follow = startMbcliProcess(
      ['alerts', '--kind', 'battery_low', '--follow', '--stop_after', '1', '--json', ...flags],
      {},
    );
    await follow.linesPrinted(1);
    await sendStatus(server.ports.collector, 'rs2', 12.8);
    const followed = await follow.ended;
    expect(followed.stderr).toBe('');
    expect(followed.status).toBe(0);
    const lines = followed.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AlertRow);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ id: alerts[0]!.id, open: true });
    expect(lines[1]).toMatchObject({ id: alerts[0]!.id, kind: 'battery_low', open: false });
    // When it ended, exactly: RFC 3339 with nine fractional digits and the same instant in nanoseconds.
    const endMillis = Number(BigInt(lines[1]!.endUnixNanos!) / 1_000_000n);
    expect(lines[1]!.end).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(lines[1]!.end!.slice(0, 23)).toBe(new Date(endMillis).toISOString().slice(0, 23));

    // Ctrl-C ends a follow that has no --stop_after: it exits 0, with nothing on stderr.
    const untilInterrupted = startMbcliProcess(['alerts', '--kind', 'battery_low', '--follow', ...flags], {});
    await untilInterrupted.linesPrinted(2);
    untilInterrupted.signal('SIGINT');
    const interrupted = await untilInterrupted.ended;
    expect(interrupted).toMatchObject({ status: 0, stderr: '' });
    expect(interrupted.stdout.split('\n')[0]).toMatch(/^START\s+STATE\s+SEVERITY\s+KIND\s+SUBJECT\s+EVIDENCE$/);
  }, 240_000);
});
