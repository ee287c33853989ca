import type { query } from '@message-bus/proto';
import { fixedToDegrees } from '../coordinates';
import { radioName } from '../radios';
import { formatTimestamp } from './time-format';

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
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

export const DETECTOR_HEADERS = [
  'DETECTOR',
  'LATITUDE',
  'LONGITUDE',
  'VOLTAGE',
  'RADIOS',
  'REPORTED',
] as const;

export function detectorCells(row: DetectorRow): string[] {
  return [
    row.id,
    row.latitude.toFixed(5),
    row.longitude.toFixed(5),
    row.status ? row.status.voltage.toFixed(2) : '-',
    row.status ? row.status.radios.join(',') || '-' : '-',
    row.status?.time ?? '-',
  ];
}
