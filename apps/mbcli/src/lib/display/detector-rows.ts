import type { query } from '@message-bus/proto';
import { fixedToDegrees } from '../coordinates';
import { radioName } from '../radios';
import { alertKindName } from './alert-rows';
import { exactTime, formatAge, tableTime } from './time-format';

export interface DetectorRow {
  readonly id: string;
  readonly latitude: number;
  readonly longitude: number;
  /** The latest status report; null when the detector has sent none. */
  readonly status: {
    readonly voltage: number;
    readonly radios: string[];
    /** When the detector reported it (RFC 3339, exact), and as Unix nanoseconds. */
    readonly time: string | null;
    readonly unixNanos: string | null;
  } | null;
  /** Its health as the travel-time workers last judged it; null before their first check. */
  readonly health: DetectorHealthRow | null;
}

/** Times as RFC 3339 (exact) beside `…UnixNanos`; null: not known. */
export interface DetectorHealthRow {
  /** Its newest sighting; null when none is stored. */
  readonly lastSeen: string | null;
  readonly lastSeenUnixNanos: string | null;
  /** The kinds of its open alerts, e.g. `battery_low`; empty when healthy. */
  readonly problems: string[];
  /** Positive: its clock runs ahead. */
  readonly clockSkewSeconds: number | null;
  readonly batteryVoltsPerDay: number | null;
  readonly checkedAt: string | null;
  readonly checkedAtUnixNanos: string | null;
}

export function detectorRows(detectors: readonly query.DetectorSummary[]): DetectorRow[] {
  return detectors
    .map((summary) => {
      const loc = summary.loc ?? summary.latestStatus?.loc;
      const status = summary.latestStatus;
      const reported = exactTime(status?.time);
      return {
        id: loc?.detectorId ?? '',
        latitude: fixedToDegrees(loc?.latitude ?? 0n),
        longitude: fixedToDegrees(loc?.longitude ?? 0n),
        status:
          status === undefined
            ? null
            : {
                voltage: status.batteryVoltage,
                radios: status.activeDetectors.map(radioName),
                time: reported.rfc3339,
                unixNanos: reported.unixNanos,
              },
        health: summary.health === undefined ? null : healthRow(summary.health),
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

function healthRow(health: query.DetectorHealth): DetectorHealthRow {
  const lastSeen = exactTime(health.lastSeen);
  const checkedAt = exactTime(health.checkedAt);
  return {
    lastSeen: lastSeen.rfc3339,
    lastSeenUnixNanos: lastSeen.unixNanos,
    problems: health.problems.map(alertKindName),
    clockSkewSeconds: health.clockSkewSeconds ?? null,
    batteryVoltsPerDay: health.batteryVoltsPerDay ?? null,
    checkedAt: checkedAt.rfc3339,
    checkedAtUnixNanos: checkedAt.unixNanos,
  };
}

export const DETECTOR_HEADERS = [
  'DETECTOR',
  'LATITUDE',
  'LONGITUDE',
  'VOLTAGE',
  'RADIOS',
  'REPORTED',
  'LAST SEEN',
  'PROBLEMS',
  'CLOCK SKEW',
  'BATTERY TREND',
] as const;

/**
 * Health reads as an operator scans it: last seen as an age (`5m ago`), problems by
 * kind (`ok` when checked and healthy, `-` before the first check), clock skew in
 * signed seconds, the battery trend in signed volts per day.
 */
export function detectorCells(row: DetectorRow, nowMillis: number): string[] {
  const health = row.health;
  const lastSeen = health?.lastSeenUnixNanos ?? null;
  return [
    row.id,
    row.latitude.toFixed(5),
    row.longitude.toFixed(5),
    row.status ? row.status.voltage.toFixed(2) : '-',
    row.status ? row.status.radios.join(',') || '-' : '-',
    tableTime(row.status?.unixNanos ?? null),
    lastSeen === null
      ? '-'
      : `${formatAge(Math.max(0, Math.round((nowMillis - Number(BigInt(lastSeen) / 1_000_000n)) / 1000)))} ago`,
    health === null ? '-' : health.problems.map((kind) => kind.replaceAll('_', ' ')).join(', ') || 'ok',
    health === null || health.clockSkewSeconds === null ? '-' : `${signed(health.clockSkewSeconds, 1)}s`,
    health === null || health.batteryVoltsPerDay === null ? '-' : `${signed(health.batteryVoltsPerDay, 2)} V/day`,
  ];
}

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value > 0 && Number(text) !== 0 ? `+${text}` : text;
}
