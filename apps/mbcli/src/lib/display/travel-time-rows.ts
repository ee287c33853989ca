import { CONGESTION_LEVELS, type CongestionLevel, type RouteEstimateMethod } from '@message-bus/domain';
import { query } from '@message-bus/proto';
import { formatAge, formatTimestamp } from './time-format';

export interface TravelTimeRow {
  /** `source:destination`, the form `--link` flags take. */
  readonly link: string;
  readonly source: string;
  readonly destination: string;
  /** End of the estimate's window (RFC 3339). */
  readonly intervalEnd: string;
  readonly windowSeconds: number;
  /** Absent when the window had no valid sample. */
  readonly medianSeconds?: number;
  readonly p15Seconds?: number;
  readonly p85Seconds?: number;
  readonly validSamples: number;
  readonly totalSamples: number;
  readonly speedKmh?: number;
  readonly status: EstimateStatusName;
  /** Seconds between the end of the window and now. */
  readonly ageSeconds: number;
  /** On a route's estimates: its name (source and destination are its ends) and how it was obtained. */
  readonly route?: string;
  readonly routeMethod?: RouteEstimateMethod;
  /** Against the typical profile at this time of week; absent until one exists. */
  readonly typicalSeconds?: number;
  readonly freeFlowSeconds?: number;
  readonly ratioToTypical?: number;
  readonly ratioToFreeFlow?: number;
  readonly level?: CongestionLevel;
}

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
    const intervalEnd = estimate.intervalEnd ?? { seconds: 0n, nanos: 0 };
    const endMillis = Date.parse(formatTimestamp(intervalEnd));
    return {
      link: `${estimate.sourceDetectorId}:${estimate.destDetectorId}`,
      source: estimate.sourceDetectorId,
      destination: estimate.destDetectorId,
      intervalEnd: formatTimestamp(intervalEnd),
      windowSeconds: Number(estimate.windowSeconds),
      ...(estimate.medianSeconds !== undefined && { medianSeconds: estimate.medianSeconds }),
      ...(estimate.p15Seconds !== undefined && { p15Seconds: estimate.p15Seconds }),
      ...(estimate.p85Seconds !== undefined && { p85Seconds: estimate.p85Seconds }),
      validSamples: Number(estimate.validSamples),
      totalSamples: Number(estimate.totalSamples),
      ...(estimate.speedKmh !== undefined && { speedKmh: estimate.speedKmh }),
      status: estimateStatusName(estimate.status),
      ageSeconds: Math.max(0, Math.round((nowMillis - endMillis) / 1000)),
      ...routeFields(estimate),
      ...congestionFields(estimate),
    };
  });
}

function routeFields(estimate: query.TravelTimeEstimate): Pick<TravelTimeRow, 'route' | 'routeMethod'> {
  if (estimate.route === '') return {};
  const method = routeMethodName(estimate.routeMethod);
  return { route: estimate.route, ...(method !== undefined && { routeMethod: method }) };
}

function congestionFields(
  estimate: query.TravelTimeEstimate,
): Pick<
  TravelTimeRow,
  'typicalSeconds' | 'freeFlowSeconds' | 'ratioToTypical' | 'ratioToFreeFlow' | 'level'
> {
  const level = congestionLevelName(estimate.level);
  return {
    ...(estimate.typicalSeconds !== undefined && { typicalSeconds: estimate.typicalSeconds }),
    ...(estimate.freeFlowSeconds !== undefined && { freeFlowSeconds: estimate.freeFlowSeconds }),
    ...(estimate.ratioToTypical !== undefined && { ratioToTypical: estimate.ratioToTypical }),
    ...(estimate.ratioToFreeFlow !== undefined && { ratioToFreeFlow: estimate.ratioToFreeFlow }),
    ...(level !== undefined && { level }),
  };
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
  return rows.some((row) => row.route !== undefined)
    ? ['ROUTE', 'METHOD', ...TRAVEL_TIME_HEADERS.slice(1)]
    : [...TRAVEL_TIME_HEADERS];
}

/** Durations as people read them: `1m35s`, `48s`. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
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
          row.route === undefined ? ends : `${row.route} (${ends})`,
          row.routeMethod?.replaceAll('_', ' ') ?? '-',
        ]
      : [ends]),
    formatSeconds(row.medianSeconds),
    row.p15Seconds === undefined || row.p85Seconds === undefined
      ? '-'
      : `${formatSeconds(row.p15Seconds)}–${formatSeconds(row.p85Seconds)}`,
    `${row.validSamples}/${row.totalSamples}`,
    row.speedKmh === undefined ? '-' : `${row.speedKmh.toFixed(0)} km/h`,
    row.level ?? '-',
    row.ratioToTypical === undefined
      ? '-'
      : `${row.ratioToTypical.toFixed(2)}x${row.typicalSeconds === undefined ? '' : ` of ${formatSeconds(row.typicalSeconds)}`}`,
    row.status.replaceAll('_', ' '),
    formatAge(row.ageSeconds),
  ];
}
