import { query } from '@message-bus/proto';
import { describe, expect, it } from 'vitest';
import {
  formatSeconds,
  TRAVEL_TIME_CSV_COLUMNS,
  travelTimeCells,
  travelTimeHeaders,
  travelTimeRows,
} from './travel-time-rows';

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
      intervalEnd: '2026-01-30T08:00:00.000000000Z',
      intervalEndUnixNanos: '1769760000000000000',
      windowSeconds: 900,
      medianSeconds: 95.4,
      p15Seconds: 80,
      p85Seconds: 130,
      meanSeconds: null,
      validSamples: 7,
      totalSamples: 9,
      speedKmh: 98.7,
      status: 'ok',
      ageSeconds: 300,
      route: null,
      routeMethod: null,
      typicalSeconds: null,
      freeFlowSeconds: null,
      ratioToTypical: null,
      ratioToFreeFlow: null,
      level: null,
    });
    expect(travelTimeCells(row!)).toEqual([
      'a1 → b1',
      '1m35s',
      '1m20s–2m10s',
      '7/9',
      '99 km/h',
      '-',
      '-',
      'ok',
      '5m',
    ]);
    expect(travelTimeHeaders([row!])).toEqual([
      'LINK',
      'MEDIAN',
      'P15–P85',
      'SAMPLES',
      'SPEED',
      'LEVEL',
      'VS TYPICAL',
      'STATUS',
      'AGE',
    ]);
  });

  it('gives null for the statistics a window without valid samples does not have', () => {
    const empty = query.TravelTimeEstimate.fromPartial({
      sourceDetectorId: 'a1',
      destDetectorId: 'b1',
      intervalEnd: { seconds: 1_769_760_000n, nanos: 0 },
      totalSamples: 2n,
      status: query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA,
    });
    const [row] = travelTimeRows([empty], Date.parse('2026-01-30T08:00:30Z'));
    expect(row).toMatchObject({ medianSeconds: null, p15Seconds: null, p85Seconds: null, speedKmh: null });
    expect(travelTimeCells(row!)).toEqual([
      'a1 → b1',
      '-',
      '-',
      '0/2',
      '-',
      '-',
      '-',
      'insufficient data',
      '30s',
    ]);
    expect(formatSeconds(59.6)).toBe('1m00s');
  });

  it('names a route and its method, and compares with the typical travel time', () => {
    const routeEstimate = query.TravelTimeEstimate.fromPartial({
      ...estimate,
      destDetectorId: 'c1',
      medianSeconds: 240,
      route: 'east',
      routeMethod: query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_SUM_OF_LINKS,
      typicalSeconds: 150,
      freeFlowSeconds: 120,
      ratioToTypical: 1.6,
      ratioToFreeFlow: 2,
      level: query.CongestionLevel.CONGESTION_LEVEL_HEAVY,
    });
    const [row] = travelTimeRows([routeEstimate], Date.parse('2026-01-30T08:05:00Z'));
    expect(row).toMatchObject({
      link: 'a1:c1',
      route: 'east',
      routeMethod: 'sum_of_links',
      typicalSeconds: 150,
      freeFlowSeconds: 120,
      ratioToTypical: 1.6,
      ratioToFreeFlow: 2,
      level: 'heavy',
    });
    expect(travelTimeHeaders([row!]).slice(0, 2)).toEqual(['ROUTE', 'METHOD']);
    expect(travelTimeCells(row!, true)).toEqual([
      'east (a1 → c1)',
      'sum of links',
      '4m00s',
      '1m20s–2m10s',
      '7/9',
      '99 km/h',
      'heavy',
      '1.60x of 2m30s',
      'ok',
      '5m',
    ]);
  });

  it('names every CSV column as the JSON field it holds', () => {
    const [row] = travelTimeRows([estimate], Date.parse('2026-01-30T08:05:00Z'));
    expect(Object.keys(row!)).toEqual(expect.arrayContaining([...TRAVEL_TIME_CSV_COLUMNS]));
  });
});
