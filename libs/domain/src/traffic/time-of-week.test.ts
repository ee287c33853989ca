import { describe, expect, it } from 'vitest';
import { ValidationError } from '../validation-error';
import { TimeOfWeekBins } from './time-of-week';

const MS = 1_000_000n;
const at = (iso: string) => BigInt(Date.parse(iso)) * MS;

describe('TimeOfWeekBins', () => {
  it('gives the ISO day and the bin start in the zone, daylight saving included', () => {
    const warsaw = new TimeOfWeekBins('Europe/Warsaw', 15);
    // Monday 2026-01-05 07:44 UTC is 08:44 in winter (UTC+1).
    expect(warsaw.binAt(at('2026-01-05T07:44:59Z'))).toEqual({ dayOfWeek: 1, minuteOfDay: 8 * 60 + 30 });
    // Sunday 2026-07-05 22:00 UTC is Monday 00:00 in summer (UTC+2).
    expect(warsaw.binAt(at('2026-07-05T21:59:00Z'))).toEqual({ dayOfWeek: 7, minuteOfDay: 23 * 60 + 45 });
    expect(warsaw.binAt(at('2026-07-05T22:00:00Z'))).toEqual({ dayOfWeek: 1, minuteOfDay: 0 });
  });

  it('defaults to UTC and 15-minute bins, and handles half-hour zones with other widths', () => {
    expect(new TimeOfWeekBins().binAt(at('2026-01-04T23:59:00Z'))).toEqual({
      dayOfWeek: 7,
      minuteOfDay: 1425,
    });
    // India is UTC+5:30: 00:20 UTC is 05:50, in the hour bin from 05:00.
    expect(new TimeOfWeekBins('Asia/Kolkata', 60).binAt(at('2026-01-07T00:20:00Z'))).toEqual({
      dayOfWeek: 3,
      minuteOfDay: 300,
    });
    expect(new TimeOfWeekBins('Asia/Kolkata', 5).binAt(at('2026-01-07T00:24:00Z'))).toEqual({
      dayOfWeek: 3,
      minuteOfDay: 350,
    });
  });

  it('refuses an unknown zone and a width that does not divide a day, naming the field', () => {
    expect(() => new TimeOfWeekBins('Mars/Olympus')).toThrow(
      new ValidationError(
        'unknown_value',
        'timeZone',
        'is "Mars/Olympus"; expected an IANA time zone such as "Europe/Warsaw"',
      ),
    );
    expect(() => new TimeOfWeekBins('UTC', 7)).toThrow('binMinutes');
  });
});
