import { collector, query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { detectorCells, detectorRows } from './detector-rows';

const NOW = Date.parse('2026-01-30T08:10:00Z');

describe('detectorRows', () => {
  it('shows the health the workers judged: last seen, problems, clock skew and battery trend', () => {
    const [row] = detectorRows([
      query.DetectorSummary.fromPartial({
        loc: { detectorId: 'a1', latitude: 5_209_073n, longitude: 512_142n },
        latestStatus: {
          loc: { detectorId: 'a1' },
          batteryVoltage: 11.62,
          activeDetectors: [collector.DEVICE.WIFI, collector.DEVICE.BLUETOOTH],
          time: { seconds: 1_769_760_000n, nanos: 0 },
        },
        health: {
          lastSeen: { seconds: 1_769_760_300n, nanos: 0 },
          problems: [query.AlertKind.ALERT_KIND_BATTERY_LOW, query.AlertKind.ALERT_KIND_CLOCK_SKEW],
          clockSkewSeconds: 42.26,
          batteryVoltsPerDay: -0.213,
          checkedAt: { seconds: 1_769_760_360n, nanos: 0 },
        },
      }),
    ]);
    expect(row!.status).toEqual({
      voltage: 11.62,
      radios: ['wifi', 'bluetooth'],
      time: '2026-01-30T08:00:00.000000000Z',
      unixNanos: '1769760000000000000',
    });
    expect(row!.health).toEqual({
      lastSeen: '2026-01-30T08:05:00.000000000Z',
      lastSeenUnixNanos: '1769760300000000000',
      problems: ['battery_low', 'clock_skew'],
      clockSkewSeconds: 42.26,
      batteryVoltsPerDay: -0.213,
      checkedAt: '2026-01-30T08:06:00.000000000Z',
      checkedAtUnixNanos: '1769760360000000000',
    });
    expect(detectorCells(row!, NOW)).toEqual([
      'a1',
      '52.09073',
      '5.12142',
      '11.62',
      'wifi,bluetooth',
      '2026-01-30T08:00:00.000Z',
      '5m ago',
      'battery low, clock skew',
      '+42.3s',
      '-0.21 V/day',
    ]);
  });

  it('says ok for a checked healthy detector and - before the first check', () => {
    const rows = detectorRows([
      query.DetectorSummary.fromPartial({
        loc: { detectorId: 'b1' },
        health: { checkedAt: { seconds: 1_769_760_360n, nanos: 0 }, batteryVoltsPerDay: 0.001 },
      }),
      query.DetectorSummary.fromPartial({ loc: { detectorId: 'a2' } }),
    ]);
    expect(rows.map((row) => row.id)).toEqual(['a2', 'b1']);
    expect(rows[0]).toMatchObject({ status: null, health: null });
    expect(rows[1]!.health).toMatchObject({ lastSeen: null, lastSeenUnixNanos: null, clockSkewSeconds: null });
    expect(detectorCells(rows[0]!, NOW).slice(6)).toEqual(['-', '-', '-', '-']);
    expect(detectorCells(rows[1]!, NOW).slice(6)).toEqual(['-', 'ok', '-', '0.00 V/day']);
  });
});
