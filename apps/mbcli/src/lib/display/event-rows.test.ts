import { describe, expect, it } from 'vitest';
import { EVENT_CSV_COLUMNS, eventCells, eventRows } from './event-rows';

describe('eventRows', () => {
  it('gives every time its own row, newest first across detectors', () => {
    const rows = eventRows([
      {
        detectorId: 'a1',
        deviceId: 'p1',
        time: [
          { seconds: 100n, nanos: 0 },
          { seconds: 300n, nanos: 0 },
        ],
      },
      { detectorId: 'b1', deviceId: 'p2', time: [{ seconds: 200n, nanos: 5 }] },
    ]);
    expect(rows.map((row) => [row.detector, row.device, row.unixNanos])).toEqual([
      ['a1', 'p1', '300000000000'],
      ['b1', 'p2', '200000000005'],
      ['a1', 'p1', '100000000000'],
    ]);
    expect(rows[0]?.time).toBe('1970-01-01T00:05:00.000000000Z');
    expect(rows[1]?.time).toBe('1970-01-01T00:03:20.000000005Z');
    expect(eventCells(rows[1]!)).toEqual(['b1', 'p2', '1970-01-01T00:03:20.000Z']);
    // The CSV export's columns are these JSON fields, by the same names.
    expect(Object.keys(rows[0]!)).toEqual([...EVENT_CSV_COLUMNS]);
  });
});
