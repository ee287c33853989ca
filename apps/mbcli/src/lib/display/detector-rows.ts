import type { query } from '@message-bus/proto';
import { fixedToDegrees } from '../coordinates';
import { radioName } from '../radios';
import { alertKindName } from './alert-rows';
import { formatAge, formatTimestamp } from './time-format';

export interface DetectorRow {
  readonly id: string;
  readonly latitude: number;
  readonly longitude: number;
  /** The latest status report, when the detector has sent one. */
  readonly status?: {
    readonly voltage: number;
    readonly radios: string[];
    readonly time?: string;
  };
  /** Its health as the travel-time workers last judged it; absent before their first check. */
  readonly health?: DetectorHealthRow;
}

export interface DetectorHealthRow {
  /** Its newest sighting; absent when none is stored. */
  readonly lastSeen?: string;
  /** The kinds of its open alerts, e.g. `battery_low`; empty when healthy. */
  readonly problems: string[];
  /** Positive: its clock runs ahead. */
  readonly clockSkewSeconds?: number;
  readonly batteryVoltsPerDay?: number;
  readonly checkedAt?: string;
}

export function detectorRows(detectors: readonly query.DetectorSummary[]): DetectorRow[] {
  return detectors
    .map((summary) => {
      const loc = summary.loc ?? summary.latestStatus?.loc;
      const status = summary.latestStatus;
      return {
        id: loc?.detectorId ?? '',
        latitude: fixedToDegrees(loc?.latitude ?? 0n),
        longitude: fixedToDegrees(loc?.longitude ?? 0n),
        ...(status && {
          status: {
            voltage: status.batteryVoltage,
            radios: status.activeDetectors.map(radioName),
            ...(status.time && { time: formatTimestamp(status.time) }),
          },
        }),
        ...(summary.health && { health: healthRow(summary.health) }),
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

function healthRow(health: query.DetectorHealth): DetectorHealthRow {
  return {
    ...(health.lastSeen && { lastSeen: formatTimestamp(health.lastSeen) }),
    problems: health.problems.map(alertKindName),
    ...(health.clockSkewSeconds !== undefined && { clockSkewSeconds: health.clockSkewSeconds }),
    ...(health.batteryVoltsPerDay !== undefined && { batteryVoltsPerDay: health.batteryVoltsPerDay }),
    ...(health.checkedAt && { checkedAt: formatTimestamp(health.checkedAt) }),
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
  const lastSeen = health?.lastSeen;
  return [
    row.id,
    row.latitude.toFixed(5),
    row.longitude.toFixed(5),
    row.status ? row.status.voltage.toFixed(2) : '-',
    row.status ? row.status.radios.join(',') || '-' : '-',
    row.status?.time ?? '-',
    lastSeen === undefined
      ? '-'
      : `${formatAge(Math.max(0, Math.round((nowMillis - Date.parse(lastSeen)) / 1000)))} ago`,
    health === undefined ? '-' : health.problems.map((kind) => kind.replaceAll('_', ' ')).join(', ') || 'ok',
    health?.clockSkewSeconds === undefined ? '-' : `${signed(health.clockSkewSeconds, 1)}s`,
    health?.batteryVoltsPerDay === undefined ? '-' : `${signed(health.batteryVoltsPerDay, 2)} V/day`,
  ];
}

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value > 0 && Number(text) !== 0 ? `+${text}` : text;
}
