import { timestampToNanos } from '@message-bus/domain';
import { type query, type Timestamp } from '@message-bus/proto';
import { exactTime, tableTime } from './time-format';

/** One sighting as mbcli shows it: the device is the server's pseudonym, never a raw id. */
export interface EventRow {
  readonly detector: string;
  readonly device: string;
  /** RFC 3339 (UTC, nine fractional digits). */
  readonly time: string;
  /** Nanoseconds since the Unix epoch, exactly, as a decimal string (it exceeds 2^53). */
  readonly unixNanos: string;
}

/** One sighting of `detector` by the device pseudonym `device` at `time`. */
export function eventRow(detector: string, device: string, time: Timestamp): EventRow {
  const exact = exactTime(time);
  return { detector, device, time: exact.rfc3339, unixNanos: exact.unixNanos };
}

/** Every time of every event as its own row, newest first (as the original's table). */
export function eventRows(events: readonly query.DetectionEvent[]): EventRow[] {
  const rows = events.flatMap((event) =>
    event.time.map((time) => ({
      nanos: timestampToNanos(time),
      row: eventRow(event.detectorId, event.deviceId, time),
    })),
  );
  rows.sort((a, b) => (a.nanos === b.nanos ? 0 : a.nanos > b.nanos ? -1 : 1));
  return rows.map(({ row }) => row);
}

/** The events CSV's columns: the JSON rows' fields, so both name a datum alike. */
export const EVENT_CSV_COLUMNS = ['detector', 'device', 'time', 'unixNanos'] as const;

export const EVENT_HEADERS = ['DETECTOR', 'DEVICE', 'TIME'] as const;

export function eventCells(row: EventRow): string[] {
  return [row.detector, row.device, tableTime(row.unixNanos)];
}
