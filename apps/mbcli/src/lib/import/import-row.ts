import {
  parseDetectorId,
  parseDeviceKind,
  parseEventTime,
  parseRawDeviceId,
  ValidationError,
  type DetectorId,
  type DeviceKind,
  type EventTimeBounds,
  type RawDeviceId,
  type UnixNanos,
} from '@message-bus/domain';
import { CsvSyntaxError, splitCsvLine } from '../csv/csv-fields';
import type { FileLine } from '../csv/csv-line-reader';
import type { ImportLayout, LocatedColumns } from './import-layout';
import { parseTimeText } from './import-time';

/** A row that passed the same checks the collector makes. */
export interface ImportSighting {
  readonly line: number;
  readonly detectorId: DetectorId;
  readonly kind: DeviceKind;
  readonly deviceId: RawDeviceId;
  readonly time: UnixNanos;
  /** The line as it was in the file, should the collector refuse the row. */
  readonly text: string;
}

/** Why a row was not imported; the stable names the summary counts by. */
export type RejectReason =
  | 'csv_syntax'
  | 'missing_column'
  | 'invalid_detector_id'
  | 'invalid_device_id'
  | 'invalid_kind'
  | 'invalid_time'
  | 'rejected_by_collector';

export interface RowRejection {
  readonly line: number;
  readonly reason: RejectReason;
  /** For people; names the column and why, never repeats a device id. */
  readonly message: string;
  /** The line as it was in the file (the operator's own data, written only to the rejects file). */
  readonly text: string;
}

export type ParsedRow =
  | { readonly ok: true; readonly sighting: ImportSighting }
  | { readonly ok: false; readonly rejection: RowRejection };

/**
 * One data line as a sighting, checked with the domain's parsers (detector id, raw
 * device id, kind, event time within `bounds`) so a bad row is turned away here, with
 * its reason, rather than failing a whole batch at the collector.
 */
export function parseRow(
  line: FileLine,
  layout: ImportLayout,
  columns: LocatedColumns,
  bounds: EventTimeBounds,
): ParsedRow {
  const reject = (reason: RejectReason, message: string): ParsedRow => ({
    ok: false,
    rejection: { line: line.number, reason, message, text: line.text },
  });
  let fields: string[];
  try {
    fields = splitCsvLine(line.text, layout.delimiter);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return reject('csv_syntax', error.message);
    throw error;
  }
  if (fields.length < columns.width) {
    return reject(
      'missing_column',
      `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the mapping reads up to column ${columns.width}`,
    );
  }
  const field = (index: number) => fields[index] ?? '';
  const attempt = <T>(reason: RejectReason, parse: () => T): T | ParsedRow => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof ValidationError) return reject(reason, error.message);
      throw error;
    }
  };
  const detectorId = attempt('invalid_detector_id', () =>
    parseDetectorId(field(columns.detector.index).trim(), columns.detector.name),
  );
  if (typeof detectorId !== 'string') return detectorId;
  // Exactly as written: the pseudonym is of the identifier the reader recorded, so nothing is trimmed.
  const deviceId = attempt('invalid_device_id', () =>
    parseRawDeviceId(field(columns.device.index), columns.device.name),
  );
  if (typeof deviceId !== 'string') return deviceId;
  const kind = columns.kind === undefined ? layout.kind : undefined;
  const rowKind =
    kind ??
    attempt('invalid_kind', () => {
      const text = field(columns.kind!.index).trim();
      return parseDeviceKind(/^\d+$/.test(text) ? Number(text) : text, columns.kind!.name);
    });
  if (typeof rowKind !== 'string') return rowKind;
  const time = attempt('invalid_time', () =>
    parseEventTime(
      parseTimeText(field(columns.time.index), layout.timeFormat, columns.time.name),
      bounds,
      columns.time.name,
    ),
  );
  if (typeof time !== 'bigint') return time;
  return {
    ok: true,
    sighting: { line: line.number, detectorId, kind: rowKind, deviceId, time, text: line.text },
  };
}
