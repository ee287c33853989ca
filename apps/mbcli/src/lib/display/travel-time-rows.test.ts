import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import { formatSeconds, travelTimeCells, travelTimeRows } from './travel-time-rows';

const estimate = query.TravelTimeEstimate.fromPartial({
  sourceDetectorId: 'a1',
  destDetectorId: 'b1',
  intervalEnd: { seconds: 1_769_760_000n, nanos: 0 },
  windowSeconds: 900n,
  medianSeconds: 95.4,
  p15Seconds: 80,
  p85Seconds: 130,
  validSamples: 7n,
  totalSamples: 9n,
  speedKmh: 98.7,
  status: query.EstimateStatus.ESTIMATE_STATUS_OK,
});

describe('travelTimeRows', () => {
  it('keeps the statistics, names the status and measures the age from the window end', () => {
    const [row] = travelTimeRows([estimate], Date.parse('2026-01-30T08:05:00Z'));
    expect(row).toEqual({
      link: 'a1:b1',
      source: 'a1',
      destination: 'b1',
      intervalEnd: '2026-01-30T08:00:00.000Z',
      windowSeconds: 900,
      medianSeconds: 95.4,
      p15Seconds: 80,
      p85Seconds: 130,
      validSamples: 7,
      totalSamples: 9,
      speedKmh: 98.7,
      status: 'ok',
      ageSeconds: 300,
    });
    expect(travelTimeCells(row!)).toEqual(['a1 → b1', '1m35s', '1m20s–2m10s', '7/9', '99 km/h', 'ok', '5m']);
  });

  it('leaves out statistics a window without valid samples does not have', () => {
    const empty = query.TravelTimeEstimate.fromPartial({
      sourceDetectorId: 'a1',
      destDetectorId: 'b1',
      intervalEnd: { seconds: 1_769_760_000n, nanos: 0 },
      totalSamples: 2n,
      status: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
    });
    const [row] = travelTimeRows([empty], Date.parse('2026-01-30T08:00:30Z'));
    expect(row).not.toHaveProperty('medianSeconds');
    expect(travelTimeCells(row!)).toEqual(['a1 → b1', '-', '-', '0/2', '-', 'insufficient data', '30s']);
    expect(formatSeconds(59.6)).toBe('1m00s');
  });
});
