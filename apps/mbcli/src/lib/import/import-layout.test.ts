import { describe, expect, it } from 'vitest';
import { InputError } from '../input-error';
import { locateColumns, resolveLayout } from './import-layout';

describe('resolveLayout', () => {
  it('roadside-reader maps reader_id, device_address and read_time (Unix seconds) as Bluetooth', () => {
    expect(resolveLayout({ preset: 'roadside-reader' })).toEqual({
      columns: { detector: 'reader_id', device: 'device_address', time: 'read_time' },
      timeFormat: 'epoch_s',
      kind: 'bluetooth',
      header: true,
      delimiter: ',',
    });
  });

  it('lets flags override the preset, and a kind column replace the fixed kind', () => {
    expect(
      resolveLayout({
        preset: 'roadside-reader',
        time_format: 'epoch_ms',
        kind_column: 'radio',
        delimiter: '\\t',
      }),
    ).toEqual({
      columns: { detector: 'reader_id', device: 'device_address', time: 'read_time', kind: 'radio' },
      timeFormat: 'epoch_ms',
      header: true,
      delimiter: '\t',
    });
  });

  it('needs a kind without a preset, and one usable delimiter character', () => {
    expect(() => resolveLayout({})).toThrow(InputError);
    expect(() => resolveLayout({})).toThrow('say which radio the devices were seen on');
    expect(resolveLayout({ kind: 'wifi' }).columns).toEqual({
      detector: 'detector_id',
      device: 'device_id',
      time: 'time',
    });
    expect(() => resolveLayout({ kind: 'wifi', delimiter: '"' })).toThrow('--delimiter "\\"" is not usable');
  });
});

describe('locateColumns', () => {
  const layout = resolveLayout({ preset: 'roadside-reader' });

  it('finds names exactly, then ignoring case and spaces, and numbers from 1', () => {
    expect(locateColumns(layout, ['read_time', ' Reader_ID ', 'device_address'])).toEqual({
      detector: { index: 1, name: ' Reader_ID ' },
      device: { index: 2, name: 'device_address' },
      time: { index: 0, name: 'read_time' },
      width: 3,
    });
    const numbered = resolveLayout({
      kind: 'wifi',
      header: false,
      detector_column: '3',
      device_column: '1',
      time_column: '5',
    });
    expect(locateColumns(numbered, undefined)).toEqual({
      detector: { index: 2, name: 'column 3' },
      device: { index: 0, name: 'column 1' },
      time: { index: 4, name: 'column 5' },
      width: 5,
    });
  });

  it('says which flag names a column that is not there, or the same column twice', () => {
    expect(() => locateColumns(layout, ['reader_id', 'mac', 'read_time'])).toThrow(
      '--device_column "device_address" is not a column of the header (reader_id, mac, read_time)',
    );
    expect(() => locateColumns(layout, undefined)).toThrow(
      '--detector_column "reader_id" names a column, but with --no-header',
    );
    const twice = resolveLayout({ preset: 'roadside-reader', time_column: '1' });
    expect(() => locateColumns(twice, ['reader_id', 'device_address'])).toThrow(
      'two of the column flags name the same column',
    );
    const zero = resolveLayout({ preset: 'roadside-reader', time_column: '0' });
    expect(() => locateColumns(zero, ['reader_id', 'device_address'])).toThrow(
      '--time_column 0: columns are numbered from 1',
    );
  });
});
