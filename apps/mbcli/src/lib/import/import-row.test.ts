import { describe, expect, it } from 'vitest';
import { locateColumns, resolveLayout } from './import-layout';
import { parseRow } from './import-row';

const layout = resolveLayout({ preset: 'roadside-reader' });
const columns = locateColumns(layout, ['reader_id', 'device_address', 'read_time']);
const bounds = { now: 1_769_760_000_000_000_000n, maxAheadSeconds: 300 };
const row = (text: string) => parseRow({ number: 7, end: 0, text }, layout, columns, bounds);

describe('parseRow', () => {
  it('reads a good row exactly, keeping the device id as written', () => {
    expect(row('r1, AA:BB ,1769759999.5')).toEqual({
      ok: true,
      sighting: {
        line: 7,
        detectorId: 'r1',
        kind: 'bluetooth',
        deviceId: ' AA:BB ',
        time: 1_769_759_999_500_000_000n,
        text: 'r1, AA:BB ,1769759999.5',
      },
    });
  });

  it('rejects each kind of bad row with its reason, naming the column, never repeating the device id', () => {
    const rejection = (text: string) => {
      const parsed = row(text);
      if (parsed.ok) throw new Error(`expected ${text} to be rejected`);
      return [parsed.rejection.reason, parsed.rejection.message];
    };
    expect(rejection('r 1,AA,1769759999')).toEqual([
      'invalid_detector_id',
      "reader_id: has U+0020 ' ' at character 2; allowed are A-Z, a-z, 0-9, '.', '_', ':' and '-'",
    ]);
    expect(rejection('r1,AA\u0007BB,1769759999')).toEqual([
      'invalid_device_id',
      'device_address: has control character U+0007 at character 3; a device id must be printable',
    ]);
    expect(rejection('r1,AA,1769760301')[0]).toBe('invalid_time');
    expect(rejection('r1,AA,1769760301')[1]).toMatch(/^read_time: .* s ahead of now/);
    expect(rejection('r1,AA,946684799')[1]).toMatch(/before 2000-01-01T00:00:00Z/);
    expect(rejection('r1,AA')).toEqual(['missing_column', 'has 2 fields; the mapping reads up to column 3']);
    expect(rejection('r1,"AA,1769759999')[0]).toBe('csv_syntax');
  });

  it('reads the kind per row from a kind column: names and wire numbers', () => {
    const withKind = resolveLayout({ kind_column: 'radio' });
    const kindColumns = locateColumns(withKind, ['detector_id', 'device_id', 'time', 'radio']);
    const kindOf = (text: string) => parseRow({ number: 2, end: 0, text }, withKind, kindColumns, bounds);
    expect(kindOf('r1,AA,1769759999,WIFI')).toMatchObject({ ok: true, sighting: { kind: 'wifi' } });
    expect(kindOf('r1,AA,1769759999,1')).toMatchObject({ ok: true, sighting: { kind: 'mobile' } });
    expect(kindOf('r1,AA,1769759999,zigbee')).toMatchObject({
      ok: false,
      rejection: {
        reason: 'invalid_kind',
        message: 'radio: is "zigbee", not a device kind; expected MOBILE (1), WIFI (2) or BLUETOOTH (3)',
      },
    });
  });
});
