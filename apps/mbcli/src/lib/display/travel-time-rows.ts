import { CONGESTION_LEVELS, type CongestionLevel, type RouteEstimateMethod } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { exactTime, formatAge } from './time-format';

/** An estimate as `traveltimes --json` and `export traveltimes` give it; null: a figure it does not have. */
export interface TravelTimeRow {
  /** `source:destination`, the form `--link` flags take. */
  readonly link: string;
  readonly source: string;
  readonly destination: string;
  /** End of the estimate's window (RFC 3339, exact), and as Unix nanoseconds. */
  readonly intervalEnd: string | null;
  readonly intervalEndUnixNanos: string | null;
  readonly windowSeconds: number;
  /** Null when the window had no valid sample. */
  readonly medianSeconds: number | null;
  readonly p15Seconds: number | null;
  readonly p85Seconds: number | null;
  readonly meanSeconds: number | null;
  readonly validSamples: number;
  readonly totalSamples: number;
  readonly speedKmh: number | null;
  readonly status: EstimateStatusName;
  /** Seconds between the end of the window and now. */
  readonly ageSeconds: number | null;
  /** On a route's estimates: its name (source and destination are its ends) and how it was obtained. */
  readonly route: string | null;
  readonly routeMethod: RouteEstimateMethod | null;
  /** Against the typical profile at this time of week; null until one exists. */
  readonly typicalSeconds: number | null;
  readonly freeFlowSeconds: number | null;
  readonly ratioToTypical: number | null;
  readonly ratioToFreeFlow: number | null;
  readonly level: CongestionLevel | null;
}

/**
 * The travel-time CSV's columns: the JSON rows' fields, so both name a datum alike
 * (`link` and `ageSeconds` are for the latest estimates only).
 */
export const TRAVEL_TIME_CSV_COLUMNS = [
  'source',
  'destination',
  'intervalEnd',
  'intervalEndUnixNanos',
  'windowSeconds',
  'medianSeconds',
  'p15Seconds',
  'p85Seconds',
  'meanSeconds',
  'validSamples',
  'totalSamples',
  'speedKmh',
  'status',
  'route',
  'routeMethod',
  'typicalSeconds',
  'freeFlowSeconds',
  'ratioToTypical',
  'ratioToFreeFlow',
  'level',
] as const;

/**
 * What an estimate's status says: `no_samples` (nothing matched in the window) and
 * `all_rejected` (matched, but every sample implausible) are why a window has no
 * median; `stale` and `insufficient_data` qualify one that has.
 */
export type EstimateStatusName =
  'ok' | 'insufficient_data' | 'stale' | 'no_samples' | 'all_rejected' | 'unspecified';

const STATUS: Record<number, EstimateStatusName> = {
  [query.EstimateStatus.ESTIMATE_STATUS_OK]: 'ok',
  [query.EstimateStatus.ESTIMATE_STATUS_INSUFFICIENT_DATA]: 'insufficient_data',
  [query.EstimateStatus.ESTIMATE_STATUS_STALE]: 'stale',
  [query.EstimateStatus.ESTIMATE_STATUS_NO_SAMPLES]: 'no_samples',
  [query.EstimateStatus.ESTIMATE_STATUS_ALL_REJECTED]: 'all_rejected',
};

const ROUTE_METHODS: Record<number, RouteEstimateMethod> = {
  [query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_MATCHED]: 'matched',
  [query.RouteEstimateMethod.ROUTE_ESTIMATE_METHOD_SUM_OF_LINKS]: 'sum_of_links',
};

/** The wire's congestion level (1..4 in CONGESTION_LEVELS' order); unspecified or newer reads as undefined. */
export function congestionLevelName(level: query.CongestionLevel): CongestionLevel | undefined {
  return CONGESTION_LEVELS[level - 1];
}

export function routeMethodName(method: query.RouteEstimateMethod): RouteEstimateMethod | undefined {
  return ROUTE_METHODS[method];
}

/** The status's name; a value newer than this CLI reads as `unspecified`. */
export function estimateStatusName(status: query.EstimateStatus): EstimateStatusName {
  return STATUS[status] ?? 'unspecified';
}

export function travelTimeRows(
  estimates: readonly query.TravelTimeEstimate[],
  nowMillis: number,
): TravelTimeRow[] {
  return estimates.map((estimate) => {
    const intervalEnd = exactTime(estimate.intervalEnd);
    const method = estimate.route === '' ? undefined : routeMethodName(estimate.routeMethod);
    return {
      link: `${estimate.sourceDetectorId}:${estimate.destDetectorId}`,
      source: estimate.sourceDetectorId,
      destination: estimate.destDetectorId,
      intervalEnd: intervalEnd.rfc3339,
      intervalEndUnixNanos: intervalEnd.unixNanos,
      windowSeconds: Number(estimate.windowSeconds),
      medianSeconds: estimate.medianSeconds ?? null,
      p15Seconds: estimate.p15Seconds ?? null,
      p85Seconds: estimate.p85Seconds ?? null,
      meanSeconds: estimate.meanSeconds ?? null,
      validSamples: Number(estimate.validSamples),
      totalSamples: Number(estimate.totalSamples),
      speedKmh: estimate.speedKmh ?? null,
      status: estimateStatusName(estimate.status),
      ageSeconds:
        intervalEnd.unixNanos === null
          ? null
          : Math.max(0, Math.round((nowMillis - Number(BigInt(intervalEnd.unixNanos) / 1_000_000n)) / 1000)),
      route: estimate.route === '' ? null : estimate.route,
      routeMethod: method ?? null,
      typicalSeconds: estimate.typicalSeconds ?? null,
      freeFlowSeconds: estimate.freeFlowSeconds ?? null,
      ratioToTypical: estimate.ratioToTypical ?? null,
      ratioToFreeFlow: estimate.ratioToFreeFlow ?? null,
      level: congestionLevelName(estimate.level) ?? null,
    };
  });
}

const TRAVEL_TIME_HEADERS = [
  'LINK',
  'MEDIAN',
  'P15–P85',
  'SAMPLES',
  'SPEED',
  'LEVEL',
  'VS TYPICAL',
  'STATUS',
  'AGE',
] as const;

/**
 * The table's headers: a route's rows are named ROUTE and have a METHOD column (matched
 * end to end, or the sum of its links).
 */
export function travelTimeHeaders(rows: readonly TravelTimeRow[]): string[] {
  return rows.some((row) => row.route !== null)
    ? ['ROUTE', 'METHOD', ...TRAVEL_TIME_HEADERS.slice(1)]
    : [...TRAVEL_TIME_HEADERS];
}

/** Durations as people read them: `1m35s`, `48s`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/** The row's cells under travelTimeHeaders(rows) (`routes`: whether that table has route columns). */
export function travelTimeCells(row: TravelTimeRow, routes = false): string[] {
  const ends = `${row.source} → ${row.destination}`;
  return [
    ...(routes
      ? [
          row.route === null ? ends : `${row.route} (${ends})`,
          row.routeMethod?.replaceAll('_', ' ') ?? '-',
        ]
      : [ends]),
    formatSeconds(row.medianSeconds),
    row.p15Seconds === null || row.p85Seconds === null
      ? '-'
      : `${formatSeconds(row.p15Seconds)}–${formatSeconds(row.p85Seconds)}`,
    `${row.validSamples}/${row.totalSamples}`,
    row.speedKmh === null ? '-' : `${row.speedKmh.toFixed(0)} km/h`,
    row.level ?? '-',
    row.ratioToTypical === null
      ? '-'
      : `${row.ratioToTypical.toFixed(2)}x${row.typicalSeconds === null ? '' : ` of ${formatSeconds(row.typicalSeconds)}`}`,
    row.status.replaceAll('_', ' '),
    row.ageSeconds === null ? '-' : formatAge(row.ageSeconds),
  ];
}
