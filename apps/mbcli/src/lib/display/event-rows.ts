import { timestampToNanos } from '@message-bus/domain';
import { type query } from '@message-bus/proto';
import { formatTimestamp } from './time-format';

/** One sighting as mbcli shows it: the device is the server's pseudonym, never a raw id. */
export interface EventRow {
  readonly detector: string;
  readonly device: string;
  /** RFC 3339 (UTC, milliseconds). */
  readonly time: string;
  /** Nanoseconds since the Unix epoch, exactly, as a decimal string (it exceeds 2^53). */
  readonly unixNanos: string;
}

/** Every time of every event as its own row, newest first (as the original's table). */
export function eventRows(events: readonly query.DetectionEvent[]): EventRow[] {
  const rows = events.flatMap((event) =>
    event.time.map((time) => ({
      nanos: timestampToNanos(time),
      row: {
        detector: event.detectorId,
        device: event.deviceId,
        time: formatTimestamp(time),
        unixNanos: timestampToNanos(time).toString(),
      },
    })),
  );
  rows.sort((a, b) => (a.nanos === b.nanos ? 0 : a.nanos > b.nanos ? -1 : 1));
  return rows.map(({ row }) => row);
}

export const EVENT_HEADERS = ['DETECTOR', 'DEVICE', 'TIME'] as const;

export function eventCells(row: EventRow): string[] {
  return [row.detector, row.device, row.time];
}
