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
    };
  });
}

export const TRAVEL_TIME_HEADERS = [
  'LINK',
  'MEDIAN',
  'P15–P85',
  'SAMPLES',
  'SPEED',
  'STATUS',
  'AGE',
] as const;

/** Durations as people read them: `1m35s`, `48s`. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

export function travelTimeCells(row: TravelTimeRow): string[] {
  return [
    `${row.source} → ${row.destination}`,
    formatSeconds(row.medianSeconds),
    row.p15Seconds === undefined || row.p85Seconds === undefined
      ? '-'
      : `${formatSeconds(row.p15Seconds)}–${formatSeconds(row.p85Seconds)}`,
    `${row.validSamples}/${row.totalSamples}`,
    row.speedKmh === undefined ? '-' : `${row.speedKmh.toFixed(0)} km/h`,
    row.status.replaceAll('_', ' '),
    formatAge(row.ageSeconds),
  ];
}
