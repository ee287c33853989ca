import type { DeviceKind } from '@message-bus/domain';
import { InputError } from '../input-error';
import type { TimeFormat } from './import-time';

/** Which column holds what, as the operator named it: a header name, or a 1-based column number. */
export interface ColumnSpecs {
  readonly detector: string;
  readonly device: string;
  readonly time: string;
  /** Absent: every row is of the layout's fixed `kind`. */
  readonly kind?: string;
}

/** How to read a CSV log into sightings. */
export interface ImportLayout {
  readonly columns: ColumnSpecs;
  readonly timeFormat: TimeFormat;
  /** The radio of every row, when no kind column says it per row. */
  readonly kind?: DeviceKind;
  /** Whether the first line names the columns (and is not a sighting). */
  readonly header: boolean;
  readonly delimiter: string;
}

export const PRESETS = ['roadside-reader'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * The roadside-reader export: a header line `reader_id,device_address,read_time`, one
 * Bluetooth read per line, `read_time` in Unix seconds (a fraction allowed). The reader
 * is the detector, the address is the raw device id (pseudonymised by the collector).
 */
const PRESET_LAYOUTS: Record<Preset, ImportLayout> = {
  'roadside-reader': {
    columns: { detector: 'reader_id', device: 'device_address', time: 'read_time' },
    timeFormat: 'epoch_s',
    kind: 'bluetooth',
    header: true,
    delimiter: ',',
  },
};

/** Without a preset: these header names and Unix seconds; the kind must be given. */
const DEFAULT_COLUMNS: ColumnSpecs = { detector: 'detector_id', device: 'device_id', time: 'time' };
const DEFAULT_TIME_FORMAT: TimeFormat = 'epoch_s';

/** The layout flags as parsed; absent means "the preset's, else the default". */
export interface LayoutFlags {
  readonly preset?: Preset | undefined;
  readonly detector_column?: string | undefined;
  readonly device_column?: string | undefined;
  readonly time_column?: string | undefined;
  readonly kind_column?: string | undefined;
  readonly time_format?: TimeFormat | undefined;
  readonly kind?: DeviceKind | undefined;
  readonly header?: boolean | undefined;
  readonly delimiter?: string | undefined;
}

/** The preset (if any) with the operator's flags on top. */
export function resolveLayout(flags: LayoutFlags): ImportLayout {
  const base = flags.preset === undefined ? undefined : PRESET_LAYOUTS[flags.preset];
  const baseColumns = base?.columns ?? DEFAULT_COLUMNS;
  const kindColumn = flags.kind_column ?? (flags.kind === undefined ? baseColumns.kind : undefined);
  const kind = kindColumn === undefined ? (flags.kind ?? base?.kind) : undefined;
  if (kindColumn === undefined && kind === undefined) {
    throw new InputError(
      'say which radio the devices were seen on: --kind bluetooth|wifi|mobile, or --kind_column NAME for a column that holds it',
    );
  }
  const delimiter = unescapeDelimiter(flags.delimiter ?? base?.delimiter ?? ',');
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new InputError(
      `--delimiter ${JSON.stringify(flags.delimiter)} is not usable; give one character other than a quote, e.g. ';' or '\\t'`,
    );
  }
  const columns: ColumnSpecs = {
    detector: flags.detector_column ?? baseColumns.detector,
    device: flags.device_column ?? baseColumns.device,
    time: flags.time_column ?? baseColumns.time,
    ...(kindColumn === undefined ? {} : { kind: kindColumn }),
  };
  return {
    columns,
    timeFormat: flags.time_format ?? base?.timeFormat ?? DEFAULT_TIME_FORMAT,
    ...(kind === undefined ? {} : { kind }),
    header: flags.header ?? base?.header ?? true,
    delimiter,
  };
}

/** `\t` typed on a command line is the two characters `\` `t`. */
function unescapeDelimiter(text: string): string {
  return text === '\\t' || text === 'tab' ? '\t' : text;
}

/** A located column: its 0-based index, and how rejects name it. */
export interface Column {
  readonly index: number;
  readonly name: string;
}

export interface LocatedColumns {
  readonly detector: Column;
  readonly device: Column;
  readonly time: Column;
  readonly kind?: Column;
  /** The fewest fields a row needs. */
  readonly width: number;
}

const COLUMN_FLAGS: Record<keyof ColumnSpecs, string> = {
  detector: '--detector_column',
  device: '--device_column',
  time: '--time_column',
  kind: '--kind_column',
};

/** Finds each column by its 1-based number or its name in the header (exact, else ignoring case and spaces). */
export function locateColumns(
  layout: ImportLayout,
  headerFields: readonly string[] | undefined,
): LocatedColumns {
  const locate = (role: keyof ColumnSpecs, spec: string): Column => {
    if (/^\d+$/.test(spec)) {
      const number = Number(spec);
      if (number < 1) throw new InputError(`${COLUMN_FLAGS[role]} ${spec}: columns are numbered from 1`);
      return { index: number - 1, name: headerFields?.[number - 1] ?? `column ${number}` };
    }
    if (headerFields === undefined) {
      throw new InputError(
        `${COLUMN_FLAGS[role]} "${spec}" names a column, but with --no-header the file has no names; give the column's number (1 = first)`,
      );
    }
    let index = headerFields.indexOf(spec);
    if (index < 0) {
      const wanted = spec.trim().toLowerCase();
      index = headerFields.findIndex((name) => name.trim().toLowerCase() === wanted);
    }
    if (index < 0) {
      throw new InputError(
        `${COLUMN_FLAGS[role]} "${spec}" is not a column of the header (${headerFields.join(', ')}); ` +
          'give one of those names or a column number',
      );
    }
    return { index, name: headerFields[index] ?? spec };
  };
  const { columns } = layout;
  const detector = locate('detector', columns.detector);
  const device = locate('device', columns.device);
  const time = locate('time', columns.time);
  const kind = columns.kind === undefined ? undefined : locate('kind', columns.kind);
  const located = [detector, device, time, ...(kind === undefined ? [] : [kind])];
  const indexes = new Set(located.map((column) => column.index));
  if (indexes.size !== located.length) {
    throw new InputError(
      `two of the column flags name the same column (${located.map((column) => column.name).join(', ')}); ` +
        'each of detector, device, time and kind needs its own column',
    );
  }
  return {
    detector,
    device,
    time,
    ...(kind === undefined ? {} : { kind }),
    width: Math.max(...located.map((column) => column.index)) + 1,
  };
}
